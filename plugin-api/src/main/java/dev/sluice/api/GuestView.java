package dev.sluice.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What Sluice knows about its guest: the addresses it was assigned (DHCP,
 * DHCPv6, SLAAC prefix), its MAC, and the source addresses it has actually
 * been seen using, which can differ from the assigned ones (a guest may
 * configure any address it likes). Safe to call from {@code decide}; the seen
 * set grows while Sluice runs.
 */
public interface GuestView {
    /** The guest's assigned IPv4 address; empty when IPv4 is disabled. */
    Optional<Inet4Address> address4();

    /** The guest's assigned global IPv6 address; empty when IPv6 is disabled. */
    Optional<Inet6Address> address6();

    /** The IPv4 gateway address the guest was given (the one mapped to the host's loopback by default). */
    Optional<Inet4Address> gateway4();

    /** The IPv6 gateway address the guest was given. */
    Optional<Inet6Address> gateway6();

    /** The assigned addresses of both families. */
    List<InetAddress> assignedAddresses();

    /** The guest's MAC as {@code aa:bb:cc:dd:ee:ff}; empty until Sluice has seen a frame from it (unless fixed with {@code -M}). */
    Optional<String> mac();

    /** The source addresses the guest has been seen using so far (immutable snapshot). */
    Set<InetAddress> seenAddresses();

    /** Whether {@code address} is one the guest was assigned or has been seen using. */
    default boolean isGuestAddress(InetAddress address) {
        return assignedAddresses().contains(address) || seenAddresses().contains(address);
    }
}
