package dev.sluice.core.link.vhost;

/**
 * The guest's memory as the front-end described it in SET_MEM_TABLE: regions,
 * each known by its guest-physical address (what descriptors carry), its
 * address in QEMU's process (what SET_VRING_ADDR carries) and where Sluice
 * mapped it. Translations return a host address valid for the whole length
 * asked, or 0 when the range is not inside one region: a guest that points a
 * descriptor outside its memory gets nothing read or written.
 *
 * <p>Immutable after construction; a new table replaces it whole.
 */
final class GuestMemory {
    static final GuestMemory EMPTY = new GuestMemory(new long[0], new long[0], new long[0], new long[0]);

    private final long[] gpa;
    private final long[] size;
    private final long[] uva;
    private final long[] host;

    /** Parallel arrays, one entry per region. */
    GuestMemory(long[] gpa, long[] size, long[] uva, long[] host) {
        this.gpa = gpa.clone();
        this.size = size.clone();
        this.uva = uva.clone();
        this.host = host.clone();
    }

    int regions() {
        return gpa.length;
    }

    /** Host address of guest-physical [addr, addr+len), or 0. */
    long gpaToHost(long addr, long len) {
        return translate(gpa, addr, len);
    }

    /** Host address of front-end virtual [addr, addr+len), or 0. */
    long uvaToHost(long addr, long len) {
        return translate(uva, addr, len);
    }

    private long translate(long[] base, long addr, long len) {
        for (int i = 0; i < base.length; i++) {
            long off = addr - base[i];
            // Unsigned comparisons: addresses may use the top bit.
            if (Long.compareUnsigned(off, size[i]) < 0 && Long.compareUnsigned(len, size[i] - off) <= 0) {
                return host[i] + off;
            }
        }
        return 0;
    }
}
