package dev.sluice.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What Sluice knows about its guest: the addresses it was assigned (DHCP,
 * DHCPv6, the advertised SLAAC prefix), its MAC, and the source addresses it has actually
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

    /**
     * The guest's MAC as a 48-bit number, first octet most significant
     * ({@code 52:54:00:12:34:56} is {@code 0x525400123456L}), or 0 while it is
     * unknown: {@link #mac()} without allocation, for checks made per frame
     * (see {@link GuestFrameFilter}). Sluice takes the MAC from {@code -M}, or
     * else from the first frame the guest sends.
     */
    default long macAsLong() {
        return mac().map(GuestView::parseMac).orElse(0L);
    }

    /**
     * Prefix length of the guest's IPv4 subnet as DHCP gives it (the subnet
     * is {@link #address4()} masked to it); 0 when IPv4 is disabled.
     */
    default int prefixLength4() {
        return address4().isPresent() ? 32 : 0;
    }

    /**
     * Length of the guest's on-link IPv6 prefix, the one router
     * advertisements carry (the prefix is {@link #address6()} masked to it);
     * 0 when IPv6 is disabled.
     */
    default int prefixLength6() {
        return 0;
    }

    /**
     * Whether Sluice's router advertisements let the guest form its own
     * addresses in that prefix (SLAAC: the prefix is advertised with the
     * autonomous flag, which takes a /64 and router advertisements turned
     * on). When false, the guest was given no global IPv6 address but
     * {@link #address6()}.
     */
    default boolean slaac() {
        return false;
    }

    /**
     * Whether {@code address} lies in the guest's IPv6 prefix
     * ({@link #address6()} masked to {@link #prefixLength6()}); false for
     * IPv4 addresses and when IPv6 is disabled.
     */
    default boolean inPrefix6(InetAddress address) {
        int len = prefixLength6();
        Optional<Inet6Address> own = address6();
        if (!(address instanceof Inet6Address) || len <= 0 || own.isEmpty()) {
            return false;
        }
        byte[] a = own.get().getAddress();
        byte[] b = address.getAddress();
        int full = Math.min(len, 128) / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = Math.min(len, 128) % 8;
        int mask = (0xff00 >> rest) & 0xff;
        return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
    }

    /** The source addresses the guest has been seen using, the 16 most recently first seen (immutable snapshot). */
    Set<InetAddress> seenAddresses();

    /** {@code 52:54:00:12:34:56} for {@code 0x525400123456L} (the low 48 bits), for log lines and reasons. */
    static String formatMac(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xff;
            if (shift != 40) {
                sb.append(':');
            }
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    /**
     * {@code 0x525400123456L} for {@code 52:54:00:12:34:56} (hex digits of
     * either case; one or two per octet).
     *
     * @throws IllegalArgumentException if {@code text} is not six colon-separated octets
     */
    static long parseMac(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: \"" + text + "\"");
        }
        long v = 0;
        for (String p : parts) {
            int b = p.isEmpty() || p.length() > 2 ? -1 : hexOctet(p);
            if (b < 0) {
                throw new IllegalArgumentException("not a MAC address: \"" + text + "\"");
            }
            v = (v << 8) | b;
        }
        return v;
    }

    private static int hexOctet(String p) {
        int v = 0;
        for (int i = 0; i < p.length(); i++) {
            int d = Character.digit(p.charAt(i), 16);
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** Whether {@code address} is one the guest was assigned or has been seen using. */
    default boolean isGuestAddress(InetAddress address) {
        return assignedAddresses().contains(address) || seenAddresses().contains(address);
    }
}
