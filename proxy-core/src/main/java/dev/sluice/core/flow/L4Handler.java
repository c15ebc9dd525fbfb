package dev.sluice.core.flow;

import io.netty.buffer.ByteBuf;

/**
 * Where the dispatcher hands a guest packet for TCP, UDP or ICMP once the
 * Ethernet and IP headers are validated (fragments, bad IP checksums and
 * frames not addressed to Sluice are already dropped and counted).
 */
public interface L4Handler {
    /**
     * @param frame the whole Ethernet frame (owned by the link: copy what must outlive the call)
     * @param ipOff offset of the IPv4 or IPv6 header
     * @param ipv6  which of the two it is
     * @param l4Off offset of the TCP/UDP/ICMP header (after IPv6 extension headers)
     * @param l4Len bytes of L4 header and payload (IP padding excluded)
     */
    void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len);

    /**
     * {@link #onPacket(ByteBuf, int, boolean, int, int)} with the link's flags
     * ({@link dev.sluice.core.link.FrameHandler#RX_CSUM_VALID}: skip checksum
     * verification; the checksum may be partial).
     */
    default void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len, int rxFlags) {
        onPacket(frame, ipOff, ipv6, l4Off, l4Len);
    }
}
