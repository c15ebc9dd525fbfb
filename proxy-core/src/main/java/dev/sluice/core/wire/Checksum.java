package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-header sums used
 * by UDP, TCP and ICMPv6. Sums are carried as non-folded {@code long}
 * accumulators so callers can add pieces before folding once.
 */
public final class Checksum {
    private Checksum() {
    }

    /** True where longs read from memory are little-endian (x86, arm64): their 16-bit words come byte-swapped. */
    private static final boolean LITTLE = !PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;

    /** Below this many bytes the address path's setup does not pay. */
    private static final int DIRECT_MIN = 32;

    /**
     * Adds {@code len} bytes at {@code off} to {@code acc}, as 16-bit big-endian words.
     * A buffer with a memory address (pooled direct buffers) is read a long at a time
     * straight from memory, in native order, without bounds checks: the one's-complement
     * sum is byte-order independent up to a final byte swap (RFC 1071 §2(B)), so the
     * native-order sum is folded, swapped once and added. Other buffers take the
     * bounds-checked path.
     */
    public static long add(long acc, ByteBuf buf, int off, int len) {
        if (len >= DIRECT_MIN && buf.hasMemoryAddress()) {
            if (off < 0 || off > buf.capacity() - len) {
                throw new IndexOutOfBoundsException("checksum range " + off + "+" + len + " outside " + buf.capacity());
            }
            return acc + addDirect(buf.memoryAddress() + off, len);
        }
        return addChecked(acc, buf, off, len);
    }

    /**
     * The folded 16-bit sum of {@code len} bytes at native address {@code addr}, as big-endian
     * words; never 0 unless every byte is 0 (so it stays interchangeable with an unfolded sum).
     */
    static long addDirect(long addr, int len) {
        long a0 = 0;
        long a1 = 0;
        long p = addr;
        long end = addr + len;
        // Two accumulators of 32-bit halves: each long adds < 2^33, so 2^30 longs cannot overflow.
        while (end - p >= 16) {
            long w0 = PlatformDependent.getLong(p);
            long w1 = PlatformDependent.getLong(p + 8);
            a0 += (w0 & 0xffffffffL) + (w0 >>> 32);
            a1 += (w1 & 0xffffffffL) + (w1 >>> 32);
            p += 16;
        }
        long sum = a0 + a1;
        if (end - p >= 8) {
            long w = PlatformDependent.getLong(p);
            sum += (w & 0xffffffffL) + (w >>> 32);
            p += 8;
        }
        if (end - p >= 4) {
            sum += PlatformDependent.getInt(p) & 0xffffffffL;
            p += 4;
        }
        if (end - p >= 2) {
            sum += PlatformDependent.getShort(p) & 0xffff;
            p += 2;
        }
        if (p < end) {
            // The odd last byte is the high byte of a big-endian word: in memory order, the first byte.
            int b = PlatformDependent.getByte(p) & 0xff;
            sum += LITTLE ? b : (b << 8);
        }
        sum = fold(sum);
        return LITTLE ? ((sum & 0xff) << 8) | (sum >>> 8) : sum;
    }

    private static long addChecked(long acc, ByteBuf buf, int off, int len) {
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

    /** End-around-carry fold to 16 bits; a non-zero sum stays non-zero. */
    public static long fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
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
