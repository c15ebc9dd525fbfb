package dev.sluice.core.link;

import io.netty.buffer.ByteBuf;

/** Receives the guest's frames from a {@link GuestLink}, on the event loop. */
public interface FrameHandler {
    /**
     * One Ethernet frame from the guest: its readable bytes. The link owns the
     * buffer and may reuse it once this returns: copy what must outlive the
     * call, never retain or release it.
     */
    void onFrame(ByteBuf frame);

    /** A guest attached (a QEMU client connected, the tap came up). */
    default void onLinkUp() {
    }

    /** The guest went away; flows towards it may be torn down. */
    default void onLinkDown() {
    }
}
