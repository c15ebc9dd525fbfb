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
}
