package dev.sluice.core;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * The few facts about the host that the guest's address plan is derived
 * from: the outbound interface per family, its addresses and gateways, and
 * the resolver configuration. Read once at startup.
 *
 * @param ifName4 outbound interface for IPv4 (null: no usable one)
 * @param addr4   its first IPv4 address
 * @param prefix4 that address's prefix length
 * @param gw4     the IPv4 default gateway
 * @param ifName6 outbound interface for IPv6 (null: no usable one)
 * @param addr6   its first global IPv6 address
 * @param prefix6 that address's prefix length
 * @param gw6     the IPv6 default gateway (often link-local)
 * @param mtu     the outbound interface's MTU
 * @param nameservers the host's resolvers, both families, in order
 * @param search  the host's search domains
 */
public record HostFacts(
        String ifName4, Inet4Address addr4, int prefix4, Inet4Address gw4,
        String ifName6, Inet6Address addr6, int prefix6, Inet6Address gw6,
        int mtu, List<InetAddress> nameservers, List<String> search) {

    public HostFacts {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
    }
}
