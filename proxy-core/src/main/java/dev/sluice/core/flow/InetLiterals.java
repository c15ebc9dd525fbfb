package dev.sluice.core.flow;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parses IP address literals from options without ever resolving a name
 * ({@link InetAddress#getByName} would query DNS for anything that is not a
 * literal, which at startup could leak traffic or hang).
 */
public final class InetLiterals {
    private InetLiterals() {
    }

    /** An IPv4 dotted quad or an IPv6 literal (no brackets, no zone); IllegalArgumentException otherwise. */
    public static InetAddress parse(String s) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                    throw new IllegalArgumentException("not an IPv6 address: " + s);
                }
            }
            try {
                // Only hex digits, colons and dots: the JDK parses it as a literal, no lookup.
                return InetAddress.getByName(s);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IPv6 address: " + s);
            }
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IP address: " + s);
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3) {
                throw new IllegalArgumentException("not an IP address: " + s);
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    throw new IllegalArgumentException("not an IP address: " + s);
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                throw new IllegalArgumentException("not an IP address: " + s);
            }
            b[i] = (byte) v;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An IPv4 literal; IllegalArgumentException for anything else, IPv6 included. */
    public static Inet4Address parse4(String s) {
        if (parse(s) instanceof Inet4Address a) {
            return a;
        }
        throw new IllegalArgumentException("not an IPv4 address: " + s);
    }

    /** An IPv6 literal; IllegalArgumentException for anything else. */
    public static Inet6Address parse6(String s) {
        if (parse(s) instanceof Inet6Address a) {
            return a;
        }
        throw new IllegalArgumentException("not an IPv6 address: " + s);
    }

    /**
     * Collapses an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, as dual-stack
     * sockets report IPv4 peers) to the IPv4 address; anything else is returned as is.
     */
    public static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return a;
                }
            }
            if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return a;
    }

    /** The IPv4 address held in {@code a} (network order, as wire views return it). */
    public static Inet4Address fromInt(int a) {
        try {
            return (Inet4Address) InetAddress.getByAddress(
                    new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The IPv6 address with these halves (an IPv4-mapped one comes back as {@link Inet4Address}). */
    public static InetAddress fromHalves(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    public static long hi(Inet6Address a) {
        return half(a.getAddress(), 0);
    }

    public static long lo(Inet6Address a) {
        return half(a.getAddress(), 8);
    }

    private static long half(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }
}
