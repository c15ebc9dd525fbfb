package dev.sluice.core.l2;

import dev.sluice.core.wire.DhcpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;

/**
 * Conversions the L2 services need once at setup: {@link java.net.InetAddress}
 * to the wire's ints and longs, search domains to their wire form.
 */
final class Addrs {
    private static final Logger log = LoggerFactory.getLogger(Addrs.class);
    static final long LINK_LOCAL_HI = 0xfe80_0000_0000_0000L;
    static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;
    static final long ALL_NODES_LO = 1L;
    static final long ALL_NODES_MAC = 0x3333_0000_0001L;

    private Addrs() {
    }

    static int v4(Inet4Address a) {
        if (a == null) {
            return 0;
        }
        byte[] b = a.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    static long hi(Inet6Address a) {
        return a == null ? 0 : word(a.getAddress(), 0);
    }

    static long lo(Inet6Address a) {
        return a == null ? 0 : word(a.getAddress(), 8);
    }

    private static long word(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    /** The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A): low half of its SLAAC addresses. */
    static long eui64(long mac) {
        long oui = (mac >>> 24) ^ 0x020000L;
        long nic = mac & 0xffffffL;
        return (oui << 40) | (0xfffeL << 24) | nic;
    }

    static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xff;
    }

    /** Netmask of an IPv4 prefix length as an int (0 for /0). */
    static int mask4(int prefix) {
        return prefix <= 0 ? 0 : prefix >= 32 ? -1 : -1 << (32 - prefix);
    }

    /** High half of an IPv6 prefix mask (prefixes longer than 64 keep all of it). */
    static long maskHi(int prefix) {
        return prefix <= 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    }

    static long maskLo(int prefix) {
        return prefix <= 64 ? 0 : prefix >= 128 ? -1L : -1L << (128 - prefix);
    }

    /**
     * The search domains that are valid DNS names, trailing dot removed; the
     * others (the host's resolv.conf may hold anything) are left out with a warning.
     */
    static List<String> validDomains(List<String> names) {
        List<String> ok = new ArrayList<>(names.size());
        for (String n : names) {
            try {
                if (DhcpMessage.encodeDomainNames(List.of(n)).length > 0) {
                    ok.add(n.endsWith(".") ? n.substring(0, n.length() - 1) : n);
                }
            } catch (IllegalArgumentException e) {
                log.warn("search domain '{}' is not a valid DNS name: not offered to the guest", n);
            }
        }
        return ok;
    }
}
