package dev.sluice.api;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Addresses as people write them, for log lines and verdict reasons: IPv4
 * dotted, IPv6 in RFC 5952's shortest form ({@code fd77::1}, not
 * {@code fd77:0:0:0:0:0:0:1}) with its scope, sockets as {@code 10.0.2.15:40312}
 * or {@code [fd00::2]:40312}. Never a name lookup. A convenience for plugin
 * authors; Sluice's own logs use it too, so both read the same.
 */
public final class AddressText {
    private AddressText() {
    }

    /** The address's text. */
    public static String toString(InetAddress ip) {
        return append(new StringBuilder(40), ip).toString();
    }

    /** The IPv6 address whose 128 bits are {@code hi} then {@code lo}, as text (no scope). */
    public static String ipv6(long hi, long lo) {
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) {
            w[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            w[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        return appendWords(new StringBuilder(39), w).toString();
    }

    /** Appends {@code addr:port}, with brackets around an IPv6 address. */
    public static StringBuilder append(StringBuilder sb, InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null) {
            sb.append(a.getHostString());
        } else if (ip instanceof Inet6Address) {
            append(sb.append('['), ip).append(']');
        } else {
            append(sb, ip);
        }
        return sb.append(':').append(a.getPort());
    }

    /** Appends the address's text. */
    public static StringBuilder append(StringBuilder sb, InetAddress ip) {
        if (!(ip instanceof Inet6Address v6)) {
            return sb.append(ip.getHostAddress());
        }
        byte[] b = v6.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        appendWords(sb, w);
        if (v6.getScopedInterface() != null) {
            sb.append('%').append(v6.getScopedInterface().getName());
        } else if (v6.getScopeId() != 0) {
            sb.append('%').append(v6.getScopeId());
        }
        return sb;
    }

    /** The eight words, the longest run of two or more zero words (the first of equal runs) as "::". */
    private static StringBuilder appendWords(StringBuilder sb, int[] w) {
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[i]));
        }
        return sb;
    }
}
