package dev.sluice.core.plugin;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Addresses as people write them (RFC 5952 for IPv6), for logs; never a name lookup. */
public final class AddressText {
    private AddressText() {
    }

    /** {@code 10.0.2.15:40312} or {@code [fd00::2]:40312}. */
    static StringBuilder append(StringBuilder sb, InetSocketAddress a) {
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

    static StringBuilder append(StringBuilder sb, InetAddress ip) {
        if (!(ip instanceof Inet6Address v6)) {
            return sb.append(ip.getHostAddress());
        }
        byte[] b = v6.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // The longest run of two or more zero words (the first of equal runs) becomes "::".
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
        if (v6.getScopedInterface() != null) {
            sb.append('%').append(v6.getScopedInterface().getName());
        } else if (v6.getScopeId() != 0) {
            sb.append('%').append(v6.getScopeId());
        }
        return sb;
    }

    public static String toString(InetAddress ip) {
        return append(new StringBuilder(40), ip).toString();
    }
}
