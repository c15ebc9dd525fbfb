package dev.sluice.core.link;

import io.netty.buffer.ByteBuf;

/** Receives the guest's frames from a {@link GuestLink}, on the event loop. */
public interface FrameHandler {
    /**
     * Flag of {@link #onFrame(ByteBuf, int)}: the guest's side vouches for the
     * frame's L4 checksum (a tap's {@code VIRTIO_NET_HDR_F_DATA_VALID} or
     * {@code NEEDS_CSUM}: the data never left the machine's memory), so it is
     * not verified again, and may be only partial.
     */
    int RX_CSUM_VALID = 1;

    /**
     * One Ethernet frame from the guest: its readable bytes. The link owns the
     * buffer and may reuse it once this returns: copy what must outlive the
     * call, never retain or release it.
     */
    void onFrame(ByteBuf frame);

    /** {@link #onFrame(ByteBuf)} with what the link knows of the frame ({@link #RX_CSUM_VALID}). */
    default void onFrame(ByteBuf frame, int flags) {
        onFrame(frame);
    }

    /** A guest attached (a QEMU client connected, the tap came up). */
    default void onLinkUp() {
    }

    /** The guest went away; flows towards it may be torn down. */
    default void onLinkDown() {
    }
}
