package dev.sluice.plugins.outboundif;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address prefix as a 128-bit number: IPv4 in {@code lo}'s low 32 bits
 * ({@code hi} = 0), IPv6 across {@code hi} (first 8 bytes) and {@code lo}.
 * The host bits are always zero.
 *
 * @param v6     the family
 * @param hi     upper 64 bits (IPv6 only)
 * @param lo     lower 64 bits (IPv4: the address as an unsigned int)
 * @param length prefix length, 0..32 or 0..128
 */
record Prefix(boolean v6, long hi, long lo, int length) {
    static final Prefix ALL4 = new Prefix(false, 0, 0, 0);
    static final Prefix ALL6 = new Prefix(true, 0, 0, 0);

    int bits() {
        return v6 ? 128 : 32;
    }

    /** The last address inside, upper half. */
    long endHi() {
        return v6 ? hi | hostMaskHi(length) : 0;
    }

    /** The last address inside, lower half. */
    long endLo() {
        return v6 ? lo | hostMaskLo(length) : lo | ((1L << (32 - length)) - 1);
    }

    private static long hostMaskHi(int length) {
        return length >= 64 ? 0 : -1L >>> length; // Java shifts by (n mod 64): 0 and 64 need care
    }

    private static long hostMaskLo(int length) {
        return length <= 64 ? -1L : length == 128 ? 0 : -1L >>> (length - 64);
    }

    /**
     * Parses {@code 10.99.0.0/24}, {@code fd99::/64}, or a lone address (a
     * host prefix). Literals only, never a name lookup; IPv4 must be four
     * decimal octets.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    static Prefix parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        InetAddress a = parseAddress(addr);
        boolean v6 = !(a instanceof Inet4Address);
        int max = v6 ? 128 : 32;
        int length = max;
        if (slash >= 0) {
            String len = text.substring(slash + 1);
            if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("\"" + text + "\": \"" + len + "\" is not a prefix length");
            }
            length = Integer.parseInt(len);
            if (length > max) {
                throw new IllegalArgumentException("\"" + text + "\": prefix length " + length + " is not between 0 and " + max);
            }
        }
        Prefix p = of(a, length);
        if (p.hi != hiOf(a) || p.lo != loOf(a)) {
            throw new IllegalArgumentException("\"" + text + "\" has host bits set (the network is " + p + ")");
        }
        return p;
    }

    /** The prefix of the given length containing {@code a}. */
    static Prefix of(InetAddress a, int length) {
        boolean v6 = !(a instanceof Inet4Address);
        long hi = hiOf(a);
        long lo = loOf(a);
        if (v6) {
            return new Prefix(true, hi & ~hostMaskHi(length), lo & ~hostMaskLo(length), length);
        }
        return new Prefix(false, 0, lo & ~((1L << (32 - length)) - 1), length);
    }

    private static long hiOf(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? 0 : word(b, 0);
    }

    private static long loOf(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? word4(b) : word(b, 8);
    }

    static long word(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    static long word4(byte[] b) {
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /**
     * An address literal: four decimal octets, or IPv6 text (which always
     * holds a ':', so {@link InetAddress#getByName} parses it without any
     * lookup). No zone ids, no brackets, no IPv4-mapped IPv6.
     */
    static InetAddress parseAddress(String text) {
        if (text.indexOf(':') < 0) {
            return parseIpv4(text);
        }
        if (text.indexOf('%') >= 0 || text.indexOf('[') >= 0 || text.indexOf(']') >= 0) {
            throw new IllegalArgumentException("\"" + text + "\": write IPv6 addresses without brackets or zone");
        }
        InetAddress a;
        try {
            a = InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
        }
        if (a instanceof Inet4Address) {
            throw new IllegalArgumentException("\"" + text + "\": write IPv4-mapped addresses as IPv4");
        }
        return a;
    }

    private static InetAddress parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        byte[] b = new byte[4];
        boolean ok = parts.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            String p = parts[i];
            ok = !p.isEmpty() && p.length() <= 3 && p.chars().allMatch(c -> c >= '0' && c <= '9');
            if (ok) {
                int v = Integer.parseInt(p);
                ok = v <= 255;
                b[i] = (byte) v;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code 10.99.0.0/24}, {@code fd99::/64} (RFC 5952 text). */
    @Override
    public String toString() {
        byte[] b;
        if (v6) {
            b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        } else {
            b = new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        }
        try {
            return text(InetAddress.getByAddress(b)) + "/" + length;
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An address as text, IPv6 in its shortest form (RFC 5952), never looked up. */
    static String text(InetAddress a) {
        return dev.sluice.api.AddressText.toString(a);
    }
}
