package dev.sluice.core.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The fuzz input format, kept simple so seeds can be written from captures:
 * <pre>
 * byte 0   flags: {@link #FIX_CHECKSUMS}, {@link #STREAM}, {@link #RAW_STREAM}, {@link #RELINK}
 * byte 1   read size for the stream link: chunks of 1 + 37 * b bytes (0: one read)
 * then     records, each a big-endian u16 length and that many bytes of a frame
 *          (the last record is cut short where the input ends)
 * </pre>
 * With {@link #RAW_STREAM} the bytes after the header are the stream itself,
 * length prefixes included, so the fuzzer also writes impossible lengths.
 * Checksums are fixed up by default-on flag so that the fuzzer reaches past
 * the IP and L4 checksum checks (a random frame almost never passes them).
 */
final class Inputs {
    static final int FIX_CHECKSUMS = 1;
    static final int STREAM = 2;
    static final int RAW_STREAM = 4;
    static final int RELINK = 8;

    private Inputs() {
    }

    static int flags(byte[] in) {
        return in.length > 0 ? in[0] & 0xff : 0;
    }

    /** Bytes per read on the stream link; Integer.MAX_VALUE for one read. */
    static int chunk(byte[] in) {
        int b = in.length > 1 ? in[1] & 0xff : 0;
        return b == 0 ? Integer.MAX_VALUE : 1 + 37 * b;
    }

    static List<byte[]> frames(byte[] in) {
        List<byte[]> out = new ArrayList<>();
        int i = 2;
        while (i + 2 <= in.length) {
            int len = ((in[i] & 0xff) << 8) | (in[i + 1] & 0xff);
            i += 2;
            int n = Math.min(len, in.length - i);
            byte[] f = new byte[n];
            System.arraycopy(in, i, f, 0, n);
            out.add(f);
            i += n;
        }
        return out;
    }

    /** What goes on the stream socket: the raw tail, or each frame behind its 4-byte length. */
    static byte[] stream(byte[] in, List<byte[]> frames) {
        if ((flags(in) & RAW_STREAM) != 0) {
            byte[] s = new byte[Math.max(0, in.length - 2)];
            System.arraycopy(in, Math.min(2, in.length), s, 0, s.length);
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            out.write(f.length >>> 24);
            out.write(f.length >>> 16);
            out.write(f.length >>> 8);
            out.write(f.length);
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    /** Encodes frames as one input (for seeds and regression entries). */
    static byte[] encode(int flags, int chunk, List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(flags);
        out.write(chunk);
        for (byte[] f : frames) {
            out.write(f.length >>> 8);
            out.write(f.length);
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    /**
     * Rewrites the IPv4 header checksum and the TCP, UDP, ICMP or ICMPv6
     * checksum in place where the headers leave room for them. Lengths are
     * left as the fuzzer wrote them: only the sums are made right.
     */
    static void fixChecksums(byte[] f) {
        if (f.length < 14) {
            return;
        }
        int type = u16(f, 12);
        if (type == 0x0800 && f.length >= 34) {
            int ihl = (f[14] & 0x0f) * 4;
            if (ihl < 20 || 14 + ihl > f.length) {
                return;
            }
            f[24] = 0;
            f[25] = 0;
            put16(f, 24, fold(sum(f, 14, ihl, 0)));
            if ((u16(f, 20) & 0x1fff) != 0) {
                return; // a later fragment has no L4 header
            }
            int l4 = 14 + ihl;
            int end = Math.min(14 + u16(f, 16), f.length);
            int proto = f[23] & 0xff;
            long pseudo = u16(f, 26) + u16(f, 28) + u16(f, 30) + u16(f, 32) + proto;
            l4(f, proto, l4, end, proto == 1 ? -1 : pseudo, false);
        } else if (type == 0x86dd && f.length >= 54) {
            int end = Math.min(54 + u16(f, 18), f.length);
            int nh = f[20] & 0xff;
            long pseudo = sum(f, 22, 32, 0) + nh;
            l4(f, nh, 54, end, pseudo, true);
        }
    }

    private static void l4(byte[] f, int proto, int l4, int end, long pseudo, boolean v6) {
        int off;
        if (proto == 6) {
            off = 16;
        } else if (proto == 17) {
            off = 6;
        } else if (proto == 1 || proto == 58) {
            off = 2;
        } else {
            return;
        }
        int len = end - l4;
        if (len < off + 2) {
            return;
        }
        f[l4 + off] = 0;
        f[l4 + off + 1] = 0;
        long s = pseudo < 0 ? 0 : pseudo + len;
        int c = fold(sum(f, l4, len, s));
        if (proto == 17 && c == 0) {
            c = 0xffff;
        }
        put16(f, l4 + off, c);
    }

    private static long sum(byte[] f, int off, int len, long s) {
        int i = 0;
        for (; i + 1 < len; i += 2) {
            s += u16(f, off + i);
        }
        if (i < len) {
            s += (f[off + i] & 0xff) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    private static int u16(byte[] f, int i) {
        return ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
    }

    private static void put16(byte[] f, int i, int v) {
        f[i] = (byte) (v >>> 8);
        f[i + 1] = (byte) v;
    }
}
