package dev.sluice.core.link.vhost;

import io.netty.util.internal.PlatformDependent;

/**
 * One descriptor chain resolved to host memory: the segments a buffer is made
 * of, in order, each with its host address, length and direction. Indirect
 * tables (VIRTIO_RING_F_INDIRECT_DESC) are followed when allowed. A chain that
 * loops, leaves guest memory, nests indirect tables or has a read-only
 * segment after a writable one is refused as a whole ({@link #load} returns
 * an error text), so a broken or hostile driver cannot make Sluice touch
 * memory it does not own. Reused for every buffer: no allocation.
 */
final class DescriptorChain {
    /** More segments than any virtio-net buffer has (Linux: MAX_SKB_FRAGS + 2). */
    static final int MAX_SEGMENTS = 256;

    final long[] addr = new long[MAX_SEGMENTS];
    final int[] len = new int[MAX_SEGMENTS];
    final boolean[] writable = new boolean[MAX_SEGMENTS];
    int count;
    long readableBytes;
    long writableBytes;

    /** Resolves the chain starting at {@code head}; null when well-formed, else why not. */
    String load(SplitRing ring, GuestMemory mem, int head, boolean indirectAllowed) {
        count = 0;
        readableBytes = 0;
        writableBytes = 0;
        int num = ring.size();
        if (head >= num) {
            return "head index " + head + " beyond ring size " + num;
        }
        int i = head;
        for (int hops = 0; ; hops++) {
            if (hops >= num) {
                return "descriptor chain loops";
            }
            int flags = ring.descFlags(i);
            long a = ring.descAddr(i);
            long l = ring.descLen(i) & 0xffffffffL;
            if ((flags & SplitRing.DESC_F_INDIRECT) != 0) {
                if (!indirectAllowed) {
                    return "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC";
                }
                if ((flags & SplitRing.DESC_F_NEXT) != 0) {
                    return "indirect descriptor with NEXT set";
                }
                return loadIndirect(mem, a, l);
            }
            String err = add(mem, a, l, (flags & SplitRing.DESC_F_WRITE) != 0);
            if (err != null) {
                return err;
            }
            if ((flags & SplitRing.DESC_F_NEXT) == 0) {
                return null;
            }
            i = ring.descNext(i);
            if (i >= num) {
                return "next index " + i + " beyond ring size " + num;
            }
        }
    }

    private String loadIndirect(GuestMemory mem, long tableGpa, long tableLen) {
        if (tableLen == 0 || tableLen % 16 != 0 || tableLen > 16L * SplitRing.MAX_SIZE) {
            return "indirect table of " + tableLen + " bytes";
        }
        long table = mem.gpaToHost(tableGpa, tableLen);
        if (table == 0) {
            return "indirect table outside guest memory";
        }
        int n = (int) (tableLen / 16);
        int i = 0;
        for (int hops = 0; ; hops++) {
            if (hops >= n) {
                return "indirect chain loops";
            }
            long d = table + 16L * i;
            int flags = PlatformDependent.getShort(d + 12) & 0xffff;
            if ((flags & SplitRing.DESC_F_INDIRECT) != 0) {
                return "nested indirect table";
            }
            String err = add(mem, PlatformDependent.getLong(d), PlatformDependent.getInt(d + 8) & 0xffffffffL,
                    (flags & SplitRing.DESC_F_WRITE) != 0);
            if (err != null) {
                return err;
            }
            if ((flags & SplitRing.DESC_F_NEXT) == 0) {
                return null;
            }
            i = PlatformDependent.getShort(d + 14) & 0xffff;
            if (i >= n) {
                return "indirect next index " + i + " beyond table of " + n;
            }
        }
    }

    private String add(GuestMemory mem, long gpa, long l, boolean w) {
        if (count == MAX_SEGMENTS) {
            return "more than " + MAX_SEGMENTS + " segments";
        }
        if (!w && writableBytes > 0) {
            return "read-only segment after a writable one";
        }
        long h = l == 0 ? 0 : mem.gpaToHost(gpa, l);
        if (l != 0 && h == 0) {
            return "buffer 0x" + Long.toHexString(gpa) + "+" + l + " outside guest memory";
        }
        addr[count] = h;
        len[count] = (int) l;
        writable[count] = w;
        count++;
        if (w) {
            writableBytes += l;
        } else {
            readableBytes += l;
        }
        return null;
    }
}
