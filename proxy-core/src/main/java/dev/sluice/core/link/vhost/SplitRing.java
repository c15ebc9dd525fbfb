package dev.sluice.core.link.vhost;

import io.netty.util.internal.PlatformDependent;
import java.lang.invoke.VarHandle;

/**
 * One split virtqueue (virtio 1.x, section 2.7) living in guest memory: the
 * descriptor table, the available ring the driver fills and the used ring
 * Sluice returns buffers through. All three are reached by host addresses in
 * the mapped guest memory; fields are little-endian, as on x86_64 (native
 * order, which netty's {@link PlatformDependent} accessors use).
 *
 * <p>Ordering: the avail index is read, then an acquire fence, before the
 * ring entries and descriptors it covers; buffers and used entries are
 * written, then a release fence, before the used index. Suppression checks
 * (avail flags, used_event) follow a full fence after publishing, and
 * re-enabling kicks is followed by a full fence and a re-check, so neither
 * side can sleep on work the other has posted.
 *
 * <p>Event loop only; no allocation after construction.
 */
final class SplitRing {
    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int USED_F_NO_NOTIFY = 1;
    static final int MAX_SIZE = 32768;

    private int num;
    private long desc;
    private long avail;
    private long used;
    private boolean eventIdx;
    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;
    private boolean signalledValid;
    private boolean pending;

    /** Points the ring at its three parts (host addresses); {@code base} is the next avail index to read. */
    void configure(int num, long desc, long avail, long used, boolean eventIdx, int base) {
        this.num = num;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.eventIdx = eventIdx;
        this.lastAvail = base & 0xffff;
        this.usedIdx = base & 0xffff;
        this.signalledValid = false;
        this.pending = false;
    }

    /** Moves the ring's parts (a new memory table) keeping its indices. */
    void repoint(long desc, long avail, long used, boolean eventIdx) {
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.eventIdx = eventIdx;
    }

    /** Bytes of the descriptor table, avail ring and used ring for a ring of {@code num} entries. */
    static long descBytes(int num) {
        return 16L * num;
    }

    static long availBytes(int num) {
        return 6L + 2L * num;
    }

    static long usedBytes(int num) {
        return 6L + 8L * num;
    }

    int size() {
        return num;
    }

    long descTable() {
        return desc;
    }

    boolean eventIdx() {
        return eventIdx;
    }

    /** The next avail index Sluice will consume: what GET_VRING_BASE reports. */
    int lastAvail() {
        return lastAvail;
    }

    int usedIdx() {
        return usedIdx;
    }

    /** Buffers the driver has made available and Sluice has not consumed yet. */
    int availCount() {
        int idx = PlatformDependent.getShort(avail + 2) & 0xffff;
        VarHandle.acquireFence();
        return (idx - lastAvail) & 0xffff;
    }

    /** The head descriptor index of the k-th not yet consumed available buffer (k &lt; availCount()). */
    int peekHead(int k) {
        return PlatformDependent.getShort(avail + 4 + 2L * ((lastAvail + k) % num)) & 0xffff;
    }

    void consume(int n) {
        lastAvail = (lastAvail + n) & 0xffff;
    }

    long descAddr(int i) {
        return PlatformDependent.getLong(desc + 16L * i);
    }

    int descLen(int i) {
        return PlatformDependent.getInt(desc + 16L * i + 8);
    }

    int descFlags(int i) {
        return PlatformDependent.getShort(desc + 16L * i + 12) & 0xffff;
    }

    int descNext(int i) {
        return PlatformDependent.getShort(desc + 16L * i + 14) & 0xffff;
    }

    /** Writes one used element (not visible to the driver before {@link #publish()}). */
    void putUsed(int head, int len) {
        long e = used + 4 + 8L * (usedIdx % num);
        PlatformDependent.putInt(e, head);
        PlatformDependent.putInt(e + 4, len);
        usedIdx = (usedIdx + 1) & 0xffff;
        pending = true;
    }

    /** Makes the used elements written so far visible to the driver. */
    void publish() {
        VarHandle.releaseFence();
        PlatformDependent.putShort(used + 2, (short) usedIdx);
    }

    /**
     * Asks the driver to kick when it adds buffers after the ones seen, then
     * tells whether some arrived meanwhile (the caller then keeps going).
     */
    boolean enableKicks() {
        if (eventIdx) {
            PlatformDependent.putShort(used + 4 + 8L * num, (short) lastAvail);
        } else {
            int f = PlatformDependent.getShort(used) & 0xffff;
            PlatformDependent.putShort(used, (short) (f & ~USED_F_NO_NOTIFY));
        }
        VarHandle.fullFence();
        return availCount() != 0;
    }

    /** Tells the driver kicks are not needed (Sluice is polling this ring or does not want to wake). */
    void disableKicks() {
        if (!eventIdx) {
            int f = PlatformDependent.getShort(used) & 0xffff;
            PlatformDependent.putShort(used, (short) (f | USED_F_NO_NOTIFY));
        }
        // With EVENT_IDX the driver kicks only when it crosses avail_event: leaving it behind suffices.
    }

    /**
     * After {@link #publish()}: whether the driver wants an interrupt for the
     * used elements added since the last one (virtio's vring_need_event, or
     * the avail ring's NO_INTERRUPT flag without EVENT_IDX).
     */
    boolean needsCall() {
        if (!pending) {
            return false;
        }
        pending = false;
        VarHandle.fullFence();
        if (!eventIdx) {
            return (PlatformDependent.getShort(avail) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        int event = PlatformDependent.getShort(avail + 4 + 2L * num) & 0xffff;
        int old = signalledUsed;
        boolean valid = signalledValid;
        signalledUsed = usedIdx;
        signalledValid = true;
        return !valid || needEvent(event, usedIdx, old);
    }

    /** virtio's vring_need_event: did the index move from old to now cross event? */
    static boolean needEvent(int event, int now, int old) {
        return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
    }
}
