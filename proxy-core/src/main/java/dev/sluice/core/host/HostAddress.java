package dev.sluice.core.host;

import java.net.InetAddress;

/**
 * One address configured on a host interface. IPv6 link-local addresses carry
 * their interface index as scope id, so they can be used for binding as is.
 *
 * @param address      the local address (IFA_LOCAL for IPv4, IFA_ADDRESS otherwise)
 * @param prefixLength the on-link prefix length
 * @param ifIndex      the interface it is configured on
 * @param linkLocal    scope link, fe80::/10 or 169.254.0.0/16
 */
public record HostAddress(InetAddress address, int prefixLength, int ifIndex, boolean linkLocal) {
}
