package dev.sluice.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.List;

/**
 * What the guest is told about itself and its network: the address plan
 * derived once at startup from the options and the host view (passt's model:
 * by default the guest gets the host's own address and the host's gateway).
 * Immutable; read by the L2 services and the flow layer on the event loop.
 *
 * @param ourMac     Sluice's MAC as the guest sees it (every address but the guest's own resolves to it)
 * @param guestMac   the guest's MAC from {@code -M}, or 0 to learn it from the first frame
 * @param mtu        MTU offered to the guest (DHCP option 26, RA MTU option)
 * @param ipv4       whether IPv4 is enabled at all
 * @param addr4      the guest's IPv4 address (null when IPv4 is disabled)
 * @param prefix4    its prefix length
 * @param gw4        the IPv4 gateway the guest is given
 * @param dns4       IPv4 DNS servers offered by DHCP
 * @param ipv6       whether IPv6 is enabled at all
 * @param addr6      the guest's global IPv6 address (DHCPv6 hands out exactly this one)
 * @param prefix6    prefix length of the advertised on-link prefix (64 for SLAAC)
 * @param gw6        the IPv6 gateway address as the host sees it
 * @param routerLl6  link-local address Sluice speaks from as the guest's router (RA source)
 * @param dns6       IPv6 DNS servers offered by RA RDNSS and DHCPv6
 * @param search     search domains (DHCP option 119, RA DNSSL, DHCPv6 domain list)
 * @param dhcp       answer DHCPv4
 * @param ndp        answer NDP (neighbour solicitations, router solicitations)
 * @param dhcpv6     answer DHCPv6
 * @param ra         send router advertisements
 * @param hostname   {@code --hostname}: DHCP option 12, or null
 * @param fqdn       {@code --fqdn}: DHCP option 81 and DHCPv6 option 39 (RFC 4702, 4704), or null
 */
public record GuestConfig(
        long ourMac,
        long guestMac,
        int mtu,
        boolean ipv4,
        Inet4Address addr4,
        int prefix4,
        Inet4Address gw4,
        List<Inet4Address> dns4,
        boolean ipv6,
        Inet6Address addr6,
        int prefix6,
        Inet6Address gw6,
        Inet6Address routerLl6,
        List<Inet6Address> dns6,
        List<String> search,
        boolean dhcp,
        boolean ndp,
        boolean dhcpv6,
        boolean ra,
        String hostname,
        String fqdn) {

    /** passt's MAC address for its side of the link; kept so captures read the same. */
    public static final long DEFAULT_OUR_MAC = 0x9a559a559a55L;
    /** passt's default MTU: the largest that fits a 64 KiB IPv4 datagram with headers. */
    public static final int DEFAULT_MTU = 65520;

    /** Without a host name or FQDN (the common case, and what tests build). */
    public GuestConfig(long ourMac, long guestMac, int mtu, boolean ipv4, Inet4Address addr4, int prefix4,
                       Inet4Address gw4, List<Inet4Address> dns4, boolean ipv6, Inet6Address addr6, int prefix6,
                       Inet6Address gw6, Inet6Address routerLl6, List<Inet6Address> dns6, List<String> search,
                       boolean dhcp, boolean ndp, boolean dhcpv6, boolean ra) {
        this(ourMac, guestMac, mtu, ipv4, addr4, prefix4, gw4, dns4, ipv6, addr6, prefix6, gw6, routerLl6, dns6,
                search, dhcp, ndp, dhcpv6, ra, null, null);
    }

    public GuestConfig {
        dns4 = List.copyOf(dns4);
        dns6 = List.copyOf(dns6);
        search = List.copyOf(search);
    }
}
