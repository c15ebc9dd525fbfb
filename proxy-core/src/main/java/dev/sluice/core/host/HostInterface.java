package dev.sluice.core.host;

import java.util.List;

/**
 * One network interface as netlink reports it.
 *
 * @param index     kernel interface index
 * @param name      interface name (IFLA_IFNAME)
 * @param mtu       IFLA_MTU, 0 if not reported
 * @param mac       48-bit hardware address, most significant byte first; 0 if none or not 6 bytes
 * @param up        IFF_UP (administratively up)
 * @param loopback  IFF_LOOPBACK
 * @param addresses its addresses, in the order the kernel listed them
 */
public record HostInterface(int index, String name, int mtu, long mac, boolean up, boolean loopback,
                            List<HostAddress> addresses) {
    public HostInterface {
        addresses = List.copyOf(addresses);
    }
}
