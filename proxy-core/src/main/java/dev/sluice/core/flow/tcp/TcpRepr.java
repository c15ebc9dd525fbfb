package dev.sluice.core.flow.tcp;

import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;

/**
 * What one segment to the guest says, as an immutable value (smoltcp's
 * {@code TcpRepr}): sequence and acknowledgment numbers, flags, the window
 * field and the SYN options. Addresses and ports come from the flow's
 * {@link TcpPath}; {@link #emit} writes the TCP header in place. Small enough
 * for the JIT to keep it in registers on the hot path.
 *
 * @param mss    MSS option, or -1 to leave it out
 * @param wscale window scale option, or -1 to leave it out
 */
record TcpRepr(int seq, int ack, int flags, int window, int mss, int wscale) {

    /** A segment without options. */
    static TcpRepr of(int seq, int ack, int flags, int window) {
        return new TcpRepr(seq, ack, flags, window, -1, -1);
    }

    /** TCP header length with the options this value carries. */
    int headerLength() {
        return TcpSegment.HEADER_LEN + (mss >= 0 ? TcpSegment.MSS_OPT_LEN : 0)
                + (wscale >= 0 ? TcpSegment.WSCALE_OPT_LEN : 0);
    }

    /** Writes header and options at {@code off}, checksum field zero. Returns the header length. */
    int emit(ByteBuf b, int off, int srcPort, int dstPort) {
        int hl = headerLength();
        TcpSegment.emitHeader(b, off, srcPort, dstPort, seq, ack, hl, flags, window);
        int p = off + TcpSegment.HEADER_LEN;
        if (mss >= 0) {
            p = TcpSegment.emitMss(b, p, mss);
        }
        if (wscale >= 0) {
            TcpSegment.emitWindowScale(b, p, wscale);
        }
        return hl;
    }
}
