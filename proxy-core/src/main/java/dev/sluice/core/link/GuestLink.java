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
}
