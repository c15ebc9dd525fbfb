package dev.sluice.core.host;

import java.nio.ByteBuffer;

/**
 * struct sockaddr_in / sockaddr_in6 written to and read from a native-order
 * buffer at an absolute index, without allocating. Family and scope id are in
 * host order; port, flow info and address in network order.
 */
final class SockAddr {
    static final int IN_LEN = 16;
    static final int IN6_LEN = 28;
    /** Room for either. */
    static final int MAX_LEN = IN6_LEN;

    private SockAddr() {
    }

    /** Writes a sockaddr for a 4- or 16-byte address; returns its length. */
    static int write(ByteBuffer b, int off, byte[] addr, int scopeId, int port) {
        if (addr.length == 4) {
            b.putShort(off, (short) Native.AF_INET);
            putPort(b, off + 2, port);
            b.put(off + 4, addr);
            b.putLong(off + 8, 0);
            return IN_LEN;
        }
        if (addr.length != 16) {
            throw new IllegalArgumentException("address must have 4 or 16 bytes, not " + addr.length);
        }
        b.putShort(off, (short) Native.AF_INET6);
        putPort(b, off + 2, port);
        b.putInt(off + 4, 0); // flow info
        b.put(off + 8, addr);
        b.putInt(off + 24, Math.max(scopeId, 0));
        return IN6_LEN;
    }

    /** Writes a sockaddr_in for an IPv4 address given as a big-endian int. */
    static int writeV4(ByteBuffer b, int off, int addr, int port) {
        b.putShort(off, (short) Native.AF_INET);
        putPort(b, off + 2, port);
        for (int i = 0; i < 4; i++) {
            b.put(off + 4 + i, (byte) (addr >>> (24 - 8 * i)));
        }
        b.putLong(off + 8, 0);
        return IN_LEN;
    }

    static int family(ByteBuffer b, int off) {
        return b.getShort(off) & 0xffff;
    }

    static int port(ByteBuffer b, int off) {
        return ((b.get(off + 2) & 0xff) << 8) | (b.get(off + 3) & 0xff);
    }

    /**
     * Copies the address of the sockaddr at off (of length len) into out; returns the number
     * of address bytes (4 or 16), or -1 for another family, a short sockaddr or a short out.
     */
    static int readAddress(ByteBuffer b, int off, int len, byte[] out) {
        int family = family(b, off);
        if (family == Native.AF_INET && len >= IN_LEN && out.length >= 4) {
            b.get(off + 4, out, 0, 4);
            return 4;
        }
        if (family == Native.AF_INET6 && len >= IN6_LEN && out.length >= 16) {
            b.get(off + 8, out, 0, 16);
            return 16;
        }
        return -1;
    }

    static int scopeId(ByteBuffer b, int off) {
        return family(b, off) == Native.AF_INET6 ? b.getInt(off + 24) : 0;
    }

    private static void putPort(ByteBuffer b, int off, int port) {
        b.put(off, (byte) (port >>> 8));
        b.put(off + 1, (byte) port);
    }
}
