package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums used
 * by UDP, TCP and ICMPv6. Sums are carried as non-folded {@code long}
 * accumulators so callers can add pieces before folding once.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds {@code len} bytes at {@code off} to {@code acc}, as 16-bit big-endian words. */
    public static long add(long acc, ByteBuf buf, int off, int len) {
        int i = off;
        int end = off + len;
        while (end - i >= 8) {
            long w = buf.getLong(i);
            acc += (w >>> 48) + ((w >>> 32) & 0xffff) + ((w >>> 16) & 0xffff) + (w & 0xffff);
            i += 8;
        }
        while (end - i >= 2) {
            acc += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            acc += (buf.getUnsignedByte(i) << 8);
        }
        return acc;
    }

    /** Folds an accumulator and returns the one's complement: the value to store in a header. */
    public static int finish(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) (~acc & 0xffff);
    }

    /** Checksum of a byte range, ready to store. */
    public static int compute(ByteBuf buf, int off, int len) {
        return finish(add(0, buf, off, len));
    }

    /** True when a range that includes its own checksum field sums to zero (i.e. is valid). */
    public static boolean verify(ByteBuf buf, int off, int len) {
        return compute(buf, off, len) == 0;
    }

    /** Pseudo-header sum for IPv4 (src, dst, protocol, upper-layer length). */
    public static long pseudoV4(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }

    /** Pseudo-header sum for IPv6, reading the addresses from an IPv6 header at {@code ipOff}. */
    public static long pseudoV6(ByteBuf buf, int ipOff, int nextHeader, int length) {
        long acc = add(0, buf, ipOff + Ipv6Packet.SRC, 32);
        return acc + (length >>> 16) + (length & 0xffff) + nextHeader;
    }

    /** Pseudo-header sum for IPv6 from address halves. */
    public static long pseudoV6(long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int length) {
        return words(srcHi) + words(srcLo) + words(dstHi) + words(dstLo)
                + (length >>> 16) + (length & 0xffff) + nextHeader;
    }

    private static long words(long w) {
        return (w >>> 48) + ((w >>> 32) & 0xffff) + ((w >>> 16) & 0xffff) + (w & 0xffff);
    }
}
