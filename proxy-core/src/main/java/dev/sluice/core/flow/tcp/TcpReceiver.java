package dev.sluice.core.flow.tcp;

import static dev.sluice.core.flow.tcp.TcpFlow.ge;
import static dev.sluice.core.flow.tcp.TcpFlow.gt;
import static dev.sluice.core.flow.tcp.TcpFlow.le;

import dev.sluice.core.Counters;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import java.util.ArrayList;

/**
 * The guest-to-host half of a flow: the receive window, out-of-order guest
 * data, writes to the host channel and the accounting of what the kernel has
 * taken.
 *
 * <p>In-order guest data is copied into a buffer and written to the host
 * channel; what was written is acknowledged once per event-loop batch. The
 * window offered to the guest is what Sluice still holds room for
 * ({@code rcvQueue}) minus the bytes the host kernel has not taken yet
 * (tracked exactly with one marker write per batch), so a slow host peer
 * closes the guest's window instead of growing a queue. The right edge of the
 * offered window never moves left. Segments beyond RCV.NXT but inside the
 * window are held (copied) and written once the hole fills, with an
 * immediate duplicate ACK; overlaps are trimmed. Segments may be GSO
 * super-frames larger than the MSS: they are taken whole.
 */
final class TcpReceiver {
    /** What the receive half needs from its flow. */
    interface Events {
        /** Send an ACK now (duplicate ACK, keep-alive answer, data beyond the window). */
        void ackNow();

        /** Queue the flow for the end-of-batch work (host flush, ACK). */
        void dirty();

        /** The guest's FIN arrived in order (RCV.NXT covers it). */
        void finReceived();
    }

    private static final int MAX_OUT_OF_ORDER = 1024;

    private record Held(int seq, ByteBuf data, boolean fin) {
    }

    private final Events ev;
    private final ByteBufAllocator alloc;
    private final Counters.Counter cOutOfOrder;
    /** Most guest bytes we hold room for: the largest window we offer. */
    final int rcvQueue;
    private Channel ch;
    int rcvNxt;
    /** Right edge of the window we advertised last: never moves left. */
    int rcvAdvEdge;
    /** Shift applied to the windows we advertise (0 without window scaling). */
    int rcvWscale;
    boolean ackDue;
    boolean fin;
    /** Guest bytes handed to the host channel, and the part the kernel has taken (both since the start). */
    long written;
    private long kernelTaken;
    private boolean markerOutstanding;
    private long markerAt;
    private boolean hostDirty;
    private boolean closed;
    private final ChannelFutureListener markerListener = this::markerDone;
    // Dropping out-of-order data would be correct (the guest retransmits), but a
    // guest without SACK then recovers one segment per round trip after a burst
    // loss on the link. Held segments lie inside the window we offered, so they
    // are part of the room we promised and need no separate bound beyond a count.
    private ArrayList<Held> ooo;

    TcpReceiver(Events ev, ByteBufAllocator alloc, int rcvQueue, Counters.Counter outOfOrder) {
        this.ev = ev;
        this.alloc = alloc;
        this.rcvQueue = rcvQueue;
        this.cOutOfOrder = outOfOrder;
    }

    /** The host channel guest data goes to. */
    void attach(Channel c) {
        ch = c;
    }

    /** The guest's ISN is known: the stream starts after it. */
    void start(int guestIsn) {
        rcvNxt = guestIsn + 1;
    }

    /** The window of a SYN or SYN-ACK (never scaled); sets the advertised edge. */
    int synWindow() {
        int w = Math.min(0xffff, rcvQueue);
        rcvAdvEdge = rcvNxt + w;
        return w;
    }

    /** Window field for the next segment; moves the advertised right edge (never left). */
    int advertiseWindow() {
        int s = rcvWscale;
        long room = rcvQueue - (written - kernelTaken);
        if (room < 0) {
            room = 0;
        }
        long max = 0xffffL << s;
        if (room > max) {
            room = max;
        }
        int promised = rcvAdvEdge - rcvNxt;
        long field = room >>> s;
        if (promised > 0 && (field << s) < promised) {
            field = (promised + (1L << s) - 1) >>> s;
        }
        if (field > 0xffff) {
            field = 0xffff;
        }
        int edge = rcvNxt + (int) (field << s);
        if (gt(edge, rcvAdvEdge)) {
            rcvAdvEdge = edge;
        }
        ackDue = false;
        return (int) field;
    }

    /** An RST is acceptable in a synchronized state when it falls inside the window (RFC 5961 light). */
    boolean inWindow(int seq) {
        return ge(seq, rcvNxt) && le(seq, gt(rcvAdvEdge, rcvNxt) ? rcvAdvEdge : rcvNxt);
    }

    /** The payload and FIN of an acceptable guest segment. */
    void onSegment(TcpSegment s, ByteBuf frame) {
        int len = s.payloadLength();
        boolean segFin = s.fin();
        int seq = s.seq();
        int rel = seq - rcvNxt;
        if (len == 0 && !segFin) {
            if (rel < 0) {
                ev.ackNow(); // keep-alive or window probe (seq = rcv.nxt - 1)
            }
            return;
        }
        if (fin) {
            ev.ackNow(); // retransmitted data or FIN: we have it all
            return;
        }
        if (rel > 0) {
            cOutOfOrder.inc();
            hold(frame, s.payloadOffset(), len, seq, segFin);
            ev.ackNow(); // immediate duplicate ACK: the guest retransmits the hole
            return;
        }
        int skip = -rel;
        int fresh = len - skip;
        if (fresh < 0 || (fresh == 0 && !segFin)) {
            ev.ackNow();
            return;
        }
        int room = rcvAdvEdge - rcvNxt;
        int take = Math.min(fresh, Math.max(room, 0));
        if (take > 0) {
            writeToHost(frame, s.payloadOffset() + skip, take);
            rcvNxt += take;
            ackDue = true;
            ev.dirty();
        }
        if (take < fresh) {
            ev.ackNow(); // beyond the window we offered: the guest sends it again later
            return;
        }
        if (segFin) {
            acceptFin();
        } else if (ooo != null && !ooo.isEmpty()) {
            drain();
        }
    }

    private void acceptFin() {
        rcvNxt++;
        fin = true;
        ackDue = true;
        releaseHeld();
        ev.dirty(); // shutdownOutput once everything before the FIN is written
        ev.finReceived();
    }

    private void writeToHost(ByteBuf frame, int off, int len) {
        ByteBuf b = alloc.directBuffer(len);
        b.writeBytes(frame, off, len);
        ch.write(b, ch.voidPromise());
        written += len;
        hostDirty = true;
    }

    private void hold(ByteBuf frame, int off, int len, int seq, boolean segFin) {
        int room = rcvAdvEdge - seq;
        if (room <= 0 || len == 0) {
            return;
        }
        if (len > room) {
            len = room;
            segFin = false;
        }
        if (ooo == null) {
            ooo = new ArrayList<>();
        }
        if (ooo.size() >= MAX_OUT_OF_ORDER) {
            return;
        }
        int i = ooo.size(); // usually appended: later holes fill in order
        while (i > 0 && gt(ooo.get(i - 1).seq(), seq)) {
            i--;
        }
        if (i > 0) {
            Held prev = ooo.get(i - 1);
            if (ge(prev.seq() + prev.data().readableBytes(), seq + len) && (prev.fin() || !segFin)) {
                return; // already held
            }
        }
        ByteBuf d = alloc.directBuffer(len);
        d.writeBytes(frame, off, len);
        ooo.add(i, new Held(seq, d, segFin));
    }

    /** Writes held segments that the stream has now reached; overlaps are trimmed. */
    private void drain() {
        while (!ooo.isEmpty() && le(ooo.get(0).seq(), rcvNxt)) {
            Held h = ooo.remove(0);
            int end = h.seq() + h.data().readableBytes();
            if (gt(end, rcvNxt)) {
                int n = end - rcvNxt;
                h.data().skipBytes(rcvNxt - h.seq());
                ch.write(h.data(), ch.voidPromise()); // the held copy goes as is
                written += n;
                hostDirty = true;
                rcvNxt = end;
                ackDue = true;
                ev.dirty();
            } else {
                h.data().release();
            }
            if (h.fin() && end == rcvNxt) {
                acceptFin();
                return;
            }
        }
    }

    /** Segments held out of order, for tests. */
    int heldCount() {
        return ooo == null ? 0 : ooo.size();
    }

    private void releaseHeld() {
        if (ooo != null) {
            for (Held h : ooo) {
                h.data().release();
            }
            ooo.clear();
        }
    }

    /** End of batch: flushes what was written to the host, with a marker to learn when the kernel took it. */
    void flushHost() {
        if (hostDirty && ch != null) {
            hostDirty = false;
            if (!markerOutstanding && written != kernelTaken) {
                writeMarker();
            }
            ch.flush(); // the marker may complete right here
        }
    }

    /** True when every guest byte written is in the kernel (the host output may be shut). */
    boolean allTaken() {
        return !hostDirty && !markerOutstanding && written == kernelTaken;
    }

    /**
     * An empty write after the batch: when its promise completes, every byte
     * written before it is in the kernel. One promise per batch, not per
     * segment; at most one outstanding.
     */
    private void writeMarker() {
        markerOutstanding = true;
        markerAt = written;
        ChannelPromise p = ch.newPromise();
        p.addListener(markerListener);
        ch.write(Unpooled.EMPTY_BUFFER, p);
    }

    private void markerDone(ChannelFuture f) {
        markerOutstanding = false;
        if (closed || !f.isSuccess()) {
            return; // a failed write also reaches exceptionCaught
        }
        int promisedBefore = rcvAdvEdge - rcvNxt;
        kernelTaken = markerAt;
        if (written != kernelTaken) {
            hostDirty = true; // more was queued meanwhile: mark it too
        }
        long room = rcvQueue - (written - kernelTaken);
        if (!fin && room - promisedBefore >= rcvQueue / 4) {
            ackDue = true; // window update: the guest may be waiting for room
        }
        if (hostDirty || ackDue || fin) {
            ev.dirty();
        }
    }

    void release() {
        closed = true;
        releaseHeld();
    }
}
