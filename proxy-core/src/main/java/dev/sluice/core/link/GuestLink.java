package dev.sluice.core.link;

import io.netty.buffer.ByteBuf;

/**
 * The guest's side of the wire: where Ethernet frames for the guest go.
 * Every method is called on the event loop that owns the link.
 */
public interface GuestLink {
    /**
     * Queues one complete Ethernet frame (its readable bytes) for the guest and
     * takes ownership of {@code frame}: the link releases it, also when it drops
     * it because no guest is attached or the guest cannot take more (counted).
     * Nothing is written before {@link #flush()} or the end of the current read
     * batch, so callers may queue many frames per wakeup.
     */
    void send(ByteBuf frame);

    /** Writes out what {@link #send} queued. */
    void flush();

    /** True while a guest is attached (a QEMU client connected, the tap open). */
    boolean isUp();

    /**
     * The largest TCP receive window a flow may offer the guest over this
     * link: what the link can have in flight from the guest without trouble.
     * No limit unless the link says so.
     */
    default int maxGuestWindow() {
        return Integer.MAX_VALUE;
    }

    /** What the link can do for frames to the guest; {@link Offloads#NONE} unless it says so. */
    default Offloads offloads() {
        return Offloads.NONE;
    }

    /**
     * Like {@link #send}, for a TCP or UDP frame that relies on
     * {@link #offloads()}: its L4 checksum field holds only the folded,
     * uncomplemented one's-complement sum of the pseudo-header (Linux's
     * {@code CHECKSUM_PARTIAL} convention) and the link completes it. With
     * {@code gsoSize > 0} (TCP only) the frame may be longer than the guest's
     * MTU, up to {@link Offloads#maxFrame()}, and is cut into segments of
     * {@code gsoSize} payload bytes on the guest's side. Callers use it only
     * when {@code offloads()} allows; a link without offloads refuses it.
     */
    default void sendOffloaded(ByteBuf frame, int gsoSize) {
        frame.release();
        throw new UnsupportedOperationException("this link has no offloads");
    }

    /**
     * False while the link's queue towards the guest is full. A frame sent
     * then is still kept (within a small bound) rather than lost, but a flow
     * with data to send stops and waits for a
     * {@linkplain #addWritabilityListener writability listener} instead of
     * piling up more: link backpressure is flow control, never loss.
     */
    default boolean isWritable() {
        return true;
    }

    /**
     * Registers {@code listener}, run on the loop each time the link becomes
     * writable after {@link #isWritable()} returned false. Registered once at
     * start (not per flow): the flow table keeps its own list of waiters.
     */
    default void addWritabilityListener(Runnable listener) {
    }
}
