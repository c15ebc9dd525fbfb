package dev.sluice.core.flow.tcp;

import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest TCP connection and the host socket it is relayed to: a thin state
 * machine towards the guest, the host kernel doing real TCP with the peer.
 *
 * <p><b>Guest to host.</b> In-order guest data is copied into a buffer and
 * written to the host channel; what was written is acknowledged once per
 * event-loop batch. The window offered to the guest is what Sluice still
 * holds room for ({@link TcpSettings#hostWriteQueue()}, at most
 * {@link TcpSettings#windowSegments()} segments) minus the bytes the
 * host kernel has not taken yet (tracked exactly with one marker write per
 * batch), so a slow host peer closes the guest's window instead of growing a
 * queue. The right edge of the offered window never moves left. Out-of-order
 * guest segments are dropped with an immediate duplicate ACK (the guest
 * retransmits); overlaps are trimmed.
 *
 * <p><b>Host to guest.</b> Java cannot {@code MSG_PEEK} as passt does, so
 * host data read from the socket is kept in a composite buffer of the read
 * buffers until the guest acknowledges it, bounded by the guest's window
 * (reading pauses above it). It is segmented to the guest's MSS and sent
 * inside the guest's window and a Reno-style congestion window (the guest
 * link may drop frames when the guest falls behind), retransmitted on RTO
 * (RFC 6298, Karn) and after three duplicate ACKs (NewReno partial ACKs).
 * A zero window is probed.
 *
 * <p><b>Closing.</b> Guest FIN: shutdownOutput on the socket once everything
 * before it was written; host data keeps flowing. Host EOF: FIN to the guest
 * after the data; guest data keeps flowing. Both done and our FIN acknowledged:
 * the flow is freed at once (no TIME_WAIT on our side, like passt). RST either
 * way resets the other side (host: {@code SO_LINGER 0} close).
 *
 * <p>Sequence numbers are {@code int}s compared modulo 2^32.
 */
final class TcpFlow extends ChannelInboundHandlerAdapter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(TcpFlow.class);
    private static final long CLOCK_GRANULARITY_NS = 1_000_000L;
    private static final long MAX_CWND = 1L << 30;

    enum State {
        /** A SYN the gate dropped: remembered so retransmitted SYNs stay silent. */
        DROPPED,
        /** Outbound: guest SYN seen, host connect in progress. */
        CONNECTING,
        /** Outbound: host connected, our SYN-ACK sent, waiting for the guest's ACK. */
        SYN_RCVD,
        /** Inbound: our SYN sent to the guest, waiting for its SYN-ACK. */
        SYN_SENT,
        /** Data both ways; half-closes are tracked by flags. */
        ESTABLISHED,
        CLOSED
    }

    final TcpFlows owner;
    final boolean v6;
    final long guestHi;
    final long guestLo;
    final int guestPort;
    final long peerHi;
    final long peerLo;
    final int peerPort;
    final int hash;
    final boolean inbound;
    final String name;
    /** Queued in the owner's end-of-batch list. */
    boolean inDirty;

    State state;
    Channel ch;
    private final int ourMss;
    /** Most guest bytes we hold room for: the largest window we offer. */
    private final int rcvQueue;

    // ---- guest -> host ----
    private int guestIsn;
    private int rcvNxt;
    /** Right edge of the window we advertised last: never moves left. */
    private int rcvAdvEdge;
    /** Shift applied to the windows we advertise (0 without window scaling). */
    private int rcvWscale;
    private boolean wscaleOk;
    private boolean ackDue;
    boolean guestFin;
    /** Guest bytes handed to the host channel, and the part the kernel has taken (both since the start). */
    private long written;
    private long kernelTaken;
    private boolean markerOutstanding;
    private long markerAt;
    private boolean hostDirty;
    boolean outputShut;
    private final ChannelFutureListener markerListener = this::markerDone;

    // ---- host -> guest ----
    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private long sndWnd;
    private long maxSndWnd;
    private int sndWl1;
    private int sndWl2;
    private int sndWscale;
    private int sndMss;
    private CompositeByteBuf sendBuf;
    boolean hostEof;
    private boolean finSent;
    private int finSeq;
    boolean finAcked;
    private long cwnd;
    private long ssthresh;
    private int dupAcks;
    private boolean inRecovery;
    private int recover;
    private boolean readPaused;

    // ---- RTT / timers ----
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private int retries;
    private int persistBackoff;
    private long rtoAt;
    private long persistAt;
    private long stateDeadline;
    private long lastActivity;
    private long synSentAt;
    private ScheduledFuture<?> timer;
    private long timerAt;

    // ---- for the control socket (flows listing): plain fields, written on the loop ----
    final long createdAt = System.nanoTime();
    /** Bytes read from the host socket (guest-bound). */
    long bytesFromHost;
    /** Outbound: where the host socket goes and the gate's decision (null for inbound flows). */
    InetSocketAddress mapped;
    GateDecision decision;

    TcpFlow(TcpFlows owner, boolean v6, long guestHi, long guestLo, int guestPort, long peerHi, long peerLo, int peerPort,
            boolean inbound, String name) {
        this.owner = owner;
        this.v6 = v6;
        this.guestHi = guestHi;
        this.guestLo = guestLo;
        this.guestPort = guestPort;
        this.peerHi = peerHi;
        this.peerLo = peerLo;
        this.peerPort = peerPort;
        this.hash = TcpFlowTable.hash(v6, guestHi, guestLo, guestPort, peerHi, peerLo, peerPort);
        this.inbound = inbound;
        this.name = name;
        this.ourMss = v6 ? owner.ourMss6 : owner.ourMss4;
        this.rcvQueue = (int) Math.min(Math.min(owner.settings.hostWriteQueue(), owner.linkWindow),
                (long) owner.settings.windowSegments() * ourMss);
        this.rto = owner.initialRtoNs;
    }

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean le(int a, int b) {
        return a - b <= 0;
    }

    static boolean gt(int a, int b) {
        return a - b > 0;
    }

    static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    private void transition(State to, String why) {
        if (log.isDebugEnabled()) {
            log.debug("{}: {} -> {} ({})", name, state, to, why);
        }
        state = to;
    }

    private void event(String what) {
        if (log.isDebugEnabled()) {
            log.debug("{}: {} [{}]", name, what, describe());
        }
    }

    /** A copy for the control socket's flows listing; on the loop. */
    dev.sluice.core.flow.FlowInfo info(long now) {
        Channel c = ch;
        return new dev.sluice.core.flow.FlowInfo("tcp", inbound,
                new InetSocketAddress(TcpFlows.address(v6, guestHi, guestLo), guestPort),
                new InetSocketAddress(TcpFlows.address(v6, peerHi, peerLo), peerPort), mapped,
                c == null ? null : dev.sluice.core.flow.FlowInfo.inet(c.localAddress()),
                c == null ? null : dev.sluice.core.flow.FlowInfo.inet(c.remoteAddress()),
                describe(), written, bytesFromHost, (now - createdAt) / 1_000_000L,
                decision == null ? null : decision.plugin(),
                state == State.DROPPED ? "drop" : dev.sluice.core.flow.FlowInfo.verdict(inbound ? null : decision));
    }

    /** State plus half-close flags, for logs. */
    String describe() {
        if (state != State.ESTABLISHED) {
            return String.valueOf(state);
        }
        StringBuilder sb = new StringBuilder("ESTABLISHED");
        if (guestFin) {
            sb.append(outputShut ? " guest-FIN(host-shut)" : " guest-FIN");
        }
        if (hostEof) {
            sb.append(finAcked ? " host-EOF(FIN-acked)" : finSent ? " host-EOF(FIN-sent)" : " host-EOF");
        }
        return sb.toString();
    }

    // =====================================================================
    // opening
    // =====================================================================

    void startDropped(int isn, long now) {
        state = State.DROPPED;
        guestIsn = isn;
        stateDeadline = now + owner.dropHoldNs;
        armTimer();
    }

    void startOutbound(TcpSegment syn, InetSocketAddress dstMapped, GateDecision d, long now) {
        state = State.CONNECTING;
        mapped = dstMapped;
        decision = d;
        event("connecting");
        lastActivity = now;
        guestIsn = syn.seq();
        rcvNxt = guestIsn + 1;
        takeSynOptions(syn);
        sndWnd = syn.window();
        maxSndWnd = sndWnd;
        sndWl1 = guestIsn;
        iss = owner.nextIsn();
        sndUna = iss;
        sndNxt = iss;
        sndMax = iss;
        sndWl2 = iss;
        stateDeadline = now + owner.connectTimeoutNs + 2_000_000_000L; // netty's connect timeout fires first
        armTimer();

        EpollSocketChannel c;
        try {
            // socket(2) fails with EMFILE/ENFILE when descriptors run out: refuse, free the slot, never throw
            c = new EpollSocketChannel(
                    dstMapped.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET);
        } catch (RuntimeException e) {
            owner.cOpenFailed.inc();
            if (owner.socketLog.allow(now)) {
                Throwable t = e.getCause() != null ? e.getCause() : e;
                log.warn("{}: cannot open a host socket ({}), refused (counted in tcp.open_failed; {} more since the "
                        + "last line)", name, t.getMessage(), owner.socketLog.suppressed());
            }
            refuseAndFree();
            return;
        }
        ch = c;
        if (d.bindInterface() != null) {
            try {
                owner.binder.bind(c.fd().intValue(), d.bindInterface());
            } catch (IOException | RuntimeException e) {
                owner.cBindFailed.inc();
                log.warn("{}: cannot bind to interface {}: {}; refusing", name, d.bindInterface(), e.toString());
                refuseAndFree();
                return;
            }
        }
        configure(c);
        c.config().setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, owner.connectTimeoutNs / 1_000_000L));
        c.pipeline().addLast(this);
        InetSocketAddress local = d.bindSource() == null ? null : new InetSocketAddress(d.bindSource(), 0);
        owner.ctx.loop().register(c).addListener((ChannelFuture rf) -> {
            if (state != State.CONNECTING) {
                return;
            }
            if (!rf.isSuccess()) {
                connectFailed(rf.cause());
                return;
            }
            c.connect(dstMapped, local).addListener((ChannelFutureListener) this::onConnected);
        });
    }

    void startInbound(SocketChannel accepted, long now) {
        state = State.SYN_SENT;
        event("inbound, SYN to guest");
        lastActivity = now;
        ch = accepted;
        configure(accepted);
        accepted.pipeline().addLast(this);
        iss = owner.nextIsn();
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        rcvWscale = owner.ourWscale; // until the guest's SYN-ACK says whether it scales
        sendBuf = owner.ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        sendSyn(now);
        armTimer();
    }

    private void configure(SocketChannel c) {
        c.config().setAutoRead(false);
        c.config().setAllowHalfClosure(true);
        c.config().setTcpNoDelay(true);
    }

    private void takeSynOptions(TcpSegment s) {
        int ws = s.windowScale();
        wscaleOk = ws >= 0;
        sndWscale = wscaleOk ? ws : 0;
        rcvWscale = wscaleOk ? owner.ourWscale : 0;
        int m = s.mss() > 0 ? s.mss() : (v6 ? 1220 : 536);
        sndMss = Math.max(64, Math.min(m, ourMss));
    }

    private void onConnected(ChannelFuture cf) {
        if (state != State.CONNECTING) {
            return;
        }
        if (!cf.isSuccess()) {
            connectFailed(cf.cause());
            return;
        }
        long now = System.nanoTime();
        stateDeadline = 0;
        owner.connected(this);
        transition(State.SYN_RCVD, "host connected");
        sndNxt = iss + 1;
        sndMax = sndNxt;
        rto = owner.initialRtoNs;
        // the host may talk first, even before the guest completes its handshake
        // (netty reads on EPOLLRDHUP whatever autoRead says): keep it from now on
        sendBuf = owner.ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        sendSynAck(now);
        armTimer();
        owner.requestLinkFlush();
    }

    private void connectFailed(Throwable cause) {
        owner.cConnectFailed.inc();
        if (log.isDebugEnabled()) {
            log.debug("{}: connect failed: {}", name, cause == null ? "?" : cause.toString());
        }
        refuseAndFree();
    }

    private void refuseAndFree() {
        owner.refuse(v6, guestHi, guestLo, guestPort, peerHi, peerLo, peerPort, guestIsn);
        if (ch != null) {
            abortChannel(ch);
        }
        free();
        owner.requestLinkFlush();
    }

    private int synWindow() {
        int w = Math.min(0xffff, rcvQueue);
        rcvAdvEdge = rcvNxt + w;
        return w;
    }

    private void sendSynAck(long now) {
        synSentAt = now;
        int w = synWindow();
        owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, iss, rcvNxt,
                TcpSegment.SYN | TcpSegment.ACK_FLAG, w, ourMss, wscaleOk ? owner.ourWscale : -1, null, 0, 0);
        rtoAt = now + rto;
    }

    private void sendSyn(long now) {
        synSentAt = now;
        owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, iss, 0,
                TcpSegment.SYN, Math.min(0xffff, rcvQueue), ourMss, owner.ourWscale, null, 0, 0);
        rtoAt = now + rto;
    }

    private void established(long now) {
        transition(State.ESTABLISHED, inbound ? "guest answered SYN-ACK" : "guest ACKed SYN-ACK");
        sndUna = iss + 1;
        if (lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        sndMax = sndNxt;
        if (retries == 0 && synSentAt != 0) {
            rttSample(now - synSentAt); // Karn: only when the SYN was not retransmitted
        } else {
            rto = owner.initialRtoNs;
        }
        retries = 0;
        rtoAt = 0;
        cwnd = 10L * sndMss;
        ssthresh = MAX_CWND;
        if (!hostEof && !readPaused) {
            ch.config().setAutoRead(true);
        }
    }

    // =====================================================================
    // guest segments
    // =====================================================================

    /**
     * One guest segment for this flow. Returns false when the flow gave up
     * its tuple and the segment should be handled as if no flow existed (a
     * new SYN hitting a dropped-SYN memo).
     */
    boolean onSegment(TcpSegment s, ByteBuf frame, long now) {
        if (state == State.DROPPED) {
            if (s.syn() && !s.hasAck() && s.seq() != guestIsn) {
                free();
                return false;
            }
            return true;
        }
        if (state == State.CLOSED) {
            return true;
        }
        lastActivity = now;
        if (s.rst()) {
            onGuestRst(s);
            return true;
        }
        if (s.syn()) {
            onGuestSyn(s, now);
            armTimer();
            return true;
        }
        if (!s.hasAck()) {
            return true; // RFC 9293: without ACK in a synchronized state, drop
        }
        switch (state) {
            case CONNECTING:
                return true;
            case SYN_SENT:
                resetSegmentAck(s);
                return true;
            case SYN_RCVD:
                if (s.ack() != iss + 1) {
                    resetSegmentAck(s);
                    return true;
                }
                established(now);
                break;
            default:
                break;
        }
        if (!processAck(s, now)) {
            armTimer();
            return true;
        }
        if (state == State.CLOSED) {
            return true;
        }
        processData(s, frame);
        if (state == State.CLOSED) {
            return true;
        }
        trySend(now);
        maybeFinish();
        if (state != State.CLOSED) {
            armTimer();
        }
        return true;
    }

    /** RST for a segment acknowledging something we never sent (RFC 9293: &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;). */
    private void resetSegmentAck(TcpSegment s) {
        if (s.ack() != iss + 1) {
            owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, s.ack(), 0, TcpSegment.RST, 0,
                    -1, -1, null, 0, 0);
        }
    }

    private void onGuestSyn(TcpSegment s, long now) {
        switch (state) {
            case SYN_SENT:
                if (s.hasAck()) {
                    onGuestSynAck(s, now);
                }
                return;
            case CONNECTING:
                return; // retransmitted SYN: answered once the host connect completes
            case SYN_RCVD:
                if (!s.hasAck() && s.seq() == guestIsn) {
                    retries++;
                    sendSynAck(now); // our SYN-ACK was probably lost
                    return;
                }
                break;
            default:
                break;
        }
        // RFC 5961 §4: a SYN on a synchronized connection gets a challenge ACK;
        // a guest that lost the connection answers it with RST
        sendAck();
    }

    private void onGuestSynAck(TcpSegment s, long now) {
        if (s.ack() != iss + 1) {
            resetSegmentAck(s);
            return;
        }
        guestIsn = s.seq();
        rcvNxt = guestIsn + 1;
        takeSynOptions(s);
        sndWnd = s.window(); // never scaled in a SYN
        maxSndWnd = sndWnd;
        sndWl1 = s.seq();
        sndWl2 = s.ack();
        rcvAdvEdge = rcvNxt + Math.min(0xffff, rcvQueue);
        established(now);
        sendAck();
        trySend(now);
        armTimer();
        owner.requestLinkFlush();
    }

    private void onGuestRst(TcpSegment s) {
        boolean acceptable;
        switch (state) {
            case CONNECTING:
            case SYN_RCVD:
                acceptable = s.seq() == rcvNxt;
                break;
            case SYN_SENT:
                acceptable = s.hasAck() && s.ack() == iss + 1;
                break;
            default:
                // in window is enough: the guest only resets connections it knows
                acceptable = ge(s.seq(), rcvNxt) && le(s.seq(), gt(rcvAdvEdge, rcvNxt) ? rcvAdvEdge : rcvNxt);
                break;
        }
        if (!acceptable) {
            return;
        }
        owner.cGuestResets.inc();
        event(state == State.SYN_SENT ? "guest refused the connection" : "guest reset");
        if (ch != null) {
            abortChannel(ch);
        }
        free();
    }

    /**
     * RFC 9293 §3.10.7.4 fifth step. Returns false when the segment is to be
     * dropped (it acknowledges data never sent).
     */
    private boolean processAck(TcpSegment s, long now) {
        int ack = s.ack();
        if (gt(ack, sndMax)) {
            sendAck();
            return false;
        }
        int seq = s.seq();
        if (lt(ack, sndUna)) {
            return true; // old duplicate: nothing to learn from its ACK or window
        }
        long newWnd = (long) s.window() << sndWscale;
        if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, ack))) {
            if (sndWnd == 0 && newWnd > 0) {
                persistAt = 0;
                persistBackoff = 0;
            }
            sndWnd = newWnd;
            if (newWnd > maxSndWnd) {
                maxSndWnd = newWnd;
            }
            sndWl1 = seq;
            sndWl2 = ack;
        }
        int acked = ack - sndUna;
        if (acked > 0) {
            int dataAcked = acked;
            if (finSent && gt(ack, finSeq)) {
                dataAcked--;
                if (!finAcked) {
                    finAcked = true;
                    event("guest ACKed our FIN");
                }
            }
            if (dataAcked > 0) {
                sendBuf.skipBytes(dataAcked);
                sendBuf.discardReadComponents();
            }
            sndUna = ack;
            if (lt(sndNxt, sndUna)) {
                sndNxt = sndUna;
            }
            if (rttTiming && ge(ack, rttSeq)) {
                rttTiming = false;
                rttSample(now - rttStart);
            }
            if (retries > 0) {
                retries = 0;
                recomputeRto();
            }
            if (inRecovery) {
                if (ge(ack, recover)) {
                    inRecovery = false;
                    cwnd = ssthresh;
                } else {
                    retransmitFirst(); // NewReno partial ACK: the next hole
                }
            } else if (cwnd < ssthresh) {
                cwnd = Math.min(MAX_CWND, cwnd + Math.min(dataAcked, 2L * sndMss));
            } else {
                cwnd = Math.min(MAX_CWND, cwnd + Math.max(1, (long) sndMss * sndMss / cwnd));
            }
            dupAcks = 0;
            rtoAt = sndUna == sndMax ? 0 : now + rto;
            maybeResumeRead();
        } else if (s.payloadLength() == 0 && !s.fin() && sndMax != sndUna) {
            // window updates are not told apart from duplicates: a spurious
            // fast retransmit costs one segment, a missed one an RTO
            if (++dupAcks == 3 && !inRecovery) {
                owner.cFastRetransmits.inc();
                inRecovery = true;
                recover = sndMax;
                ssthresh = Math.max((long) (sndMax - sndUna) / 2, 2L * sndMss);
                cwnd = ssthresh;
                rttTiming = false;
                retransmitFirst();
            }
        }
        return true;
    }

    private void processData(TcpSegment s, ByteBuf frame) {
        int len = s.payloadLength();
        boolean fin = s.fin();
        int seq = s.seq();
        int rel = seq - rcvNxt;
        if (len == 0 && !fin) {
            if (rel < 0) {
                sendAck(); // keep-alive or window probe (seq = rcv.nxt - 1)
            }
            return;
        }
        if (guestFin) {
            sendAck(); // retransmitted data or FIN: we have it all
            return;
        }
        if (rel > 0) {
            owner.cOutOfOrder.inc();
            holdOutOfOrder(frame, s.payloadOffset(), len, seq, fin);
            sendAck(); // immediate duplicate ACK: the guest retransmits the hole
            return;
        }
        int skip = -rel;
        int fresh = len - skip;
        if (fresh < 0 || (fresh == 0 && !fin)) {
            sendAck();
            return;
        }
        int room = rcvAdvEdge - rcvNxt;
        int take = Math.min(fresh, Math.max(room, 0));
        if (take > 0) {
            writeToHost(frame, s.payloadOffset() + skip, take);
            rcvNxt += take;
            ackDue = true;
            owner.markDirty(this);
        }
        if (take < fresh) {
            sendAck(); // beyond the window we offered: the guest sends it again later
            return;
        }
        if (fin) {
            acceptGuestFin();
        } else if (ooo != null && !ooo.isEmpty()) {
            drainOutOfOrder();
        }
    }

    private void acceptGuestFin() {
        rcvNxt++;
        guestFin = true;
        event("guest FIN");
        if (hostEof && stateDeadline == 0) {
            stateDeadline = System.nanoTime() + owner.finTimeoutNs;
        }
        ackDue = true;
        owner.markDirty(this); // shutdownOutput once everything before the FIN is written
        releaseOutOfOrder();
    }

    private void writeToHost(ByteBuf frame, int off, int len) {
        ByteBuf b = owner.ctx.alloc().directBuffer(len);
        b.writeBytes(frame, off, len);
        ch.write(b, ch.voidPromise());
        written += len;
        hostDirty = true;
    }

    // ---- out-of-order guest data ----
    // Dropping it would be correct (the guest retransmits), but a guest without
    // SACK then recovers one segment per round trip after a burst loss on the
    // link. Held segments lie inside the window we offered, so they are part
    // of the room we promised and need no separate bound beyond a count.

    private static final int MAX_OUT_OF_ORDER = 1024;

    private record Held(int seq, ByteBuf data, boolean fin) {
    }

    private java.util.ArrayList<Held> ooo;

    private void holdOutOfOrder(ByteBuf frame, int off, int len, int seq, boolean fin) {
        int room = rcvAdvEdge - seq;
        if (room <= 0 || len == 0) {
            return;
        }
        if (len > room) {
            len = room;
            fin = false;
        }
        if (ooo == null) {
            ooo = new java.util.ArrayList<>();
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
            if (ge(prev.seq() + prev.data().readableBytes(), seq + len) && (prev.fin() || !fin)) {
                return; // already held
            }
        }
        ByteBuf d = owner.ctx.alloc().directBuffer(len);
        d.writeBytes(frame, off, len);
        ooo.add(i, new Held(seq, d, fin));
    }

    /** Writes held segments that the stream has now reached; overlaps are trimmed. */
    private void drainOutOfOrder() {
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
                owner.markDirty(this);
            } else {
                h.data().release();
            }
            if (h.fin() && end == rcvNxt) {
                acceptGuestFin();
                return;
            }
        }
    }

    private void releaseOutOfOrder() {
        if (ooo != null) {
            for (Held h : ooo) {
                h.data().release();
            }
            ooo.clear();
        }
    }

    // =====================================================================
    // end of batch: flush the host channel, ACK, window updates
    // =====================================================================

    void flushBatch() {
        if (state == State.CLOSED) {
            return;
        }
        if (hostDirty && ch != null) {
            hostDirty = false;
            if (!markerOutstanding && written != kernelTaken) {
                writeMarker();
            }
            ch.flush(); // the marker may complete right here
        }
        if (state == State.CLOSED) {
            return;
        }
        maybeShutdownOutput();
        if (ackDue) {
            sendAck();
        }
        maybeFinish();
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
        if (state == State.CLOSED || !f.isSuccess()) {
            return; // a failed write also reaches exceptionCaught
        }
        int promisedBefore = rcvAdvEdge - rcvNxt;
        kernelTaken = markerAt;
        if (written != kernelTaken) {
            hostDirty = true; // more was queued meanwhile: mark it too
        }
        long room = rcvQueue - (written - kernelTaken);
        if (!guestFin && room - promisedBefore >= rcvQueue / 4) {
            ackDue = true; // window update: the guest may be waiting for room
        }
        if (hostDirty || ackDue || guestFin) {
            owner.markDirty(this);
        }
    }

    private void maybeShutdownOutput() {
        if (guestFin && !outputShut && !hostDirty && !markerOutstanding && written == kernelTaken
                && state == State.ESTABLISHED) {
            outputShut = true;
            event("host output shut down");
            ((SocketChannel) ch).shutdownOutput().addListener((ChannelFuture f) -> {
                if (!f.isSuccess() && state != State.CLOSED) {
                    abort("shutdownOutput failed: " + f.cause(), true);
                    owner.requestLinkFlush();
                } else {
                    maybeFinish();
                }
            });
        }
    }

    private void maybeFinish() {
        if (state == State.ESTABLISHED && guestFin && outputShut && finAcked) {
            event("both directions closed, flow freed");
            ch.close();
            free();
        }
    }

    /** Window field for the next segment; moves the advertised right edge (never left). */
    private int advertiseWindow() {
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

    /**
     * A pure ACK carrying our current window. Its sequence number is the
     * highest we sent, so the guest accepts it even while we retransmit
     * from below (Linux drops segments left of its window without reading their ACK).
     */
    void sendAck() {
        if (state == State.CLOSED || state == State.CONNECTING || state == State.DROPPED) {
            return;
        }
        owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, sndMax, rcvNxt, TcpSegment.ACK_FLAG,
                advertiseWindow(), -1, -1, null, 0, 0);
    }

    // =====================================================================
    // host -> guest
    // =====================================================================

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        if (sendBuf == null || hostEof) {
            b.release();
            return;
        }
        if (!b.isReadable()) {
            b.release();
            return;
        }
        long now = System.nanoTime();
        lastActivity = now;
        bytesFromHost += b.readableBytes();
        sendBuf.addComponent(true, b);
        trySend(now);
        if (!readPaused && sendBuf.readableBytes() >= readLimit()) {
            readPaused = true;
            ch.config().setAutoRead(false);
        }
        armTimer();
        owner.requestLinkFlush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && sendBuf != null && !hostEof) {
            long now = System.nanoTime();
            hostEof = true;
            event("host EOF");
            if (guestFin && stateDeadline == 0) {
                stateDeadline = now + owner.finTimeoutNs;
            }
            trySend(now);
            armTimer();
            owner.requestLinkFlush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (state == State.CLOSED) {
            return;
        }
        owner.cHostResets.inc();
        if (log.isTraceEnabled()) {
            log.trace(name + ": host socket error", cause);
        }
        abort("host socket: " + cause, true);
        owner.requestLinkFlush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        if (state == State.CLOSED || state == State.CONNECTING) {
            return;
        }
        owner.cHostResets.inc();
        abort("host connection closed", true);
        owner.requestLinkFlush();
    }

    private int readLimit() {
        long l = Math.max(maxSndWnd, owner.settings.minHostReadBuffer());
        return (int) Math.min(l, owner.settings.maxHostReadBuffer());
    }

    private void maybeResumeRead() {
        if (readPaused && !hostEof && sendBuf.readableBytes() < readLimit() - readLimit() / 4) {
            readPaused = false;
            ch.config().setAutoRead(true);
        }
    }

    /** Sends what the guest's window and the congestion window allow; FIN after the last byte of a host EOF. */
    private void trySend(long now) {
        if (state != State.ESTABLISHED) {
            return;
        }
        int buffered = sendBuf.readableBytes();
        boolean sent = false;
        boolean windowBlocked = false;
        while (!(finSent && gt(sndNxt, finSeq))) {
            int off = sndNxt - sndUna;
            int unsent = buffered - off;
            if (unsent > 0) {
                long usable = Math.min(sndWnd, cwnd) - off;
                if (usable <= 0) {
                    windowBlocked = true;
                    break;
                }
                int len = (int) Math.min(Math.min(unsent, usable), sndMss);
                if (len < sndMss && len < unsent && off > 0) {
                    break; // sender SWS avoidance: wait for a fuller window while data is in flight
                }
                boolean fin = hostEof && len == unsent;
                if (!rttTiming && ge(sndNxt, sndMax)) {
                    rttTiming = true;
                    rttSeq = sndNxt + len;
                    rttStart = now;
                }
                sendData(sndNxt, off, len, fin, buffered);
                sndNxt += len;
                if (fin) {
                    finSent = true;
                    finSeq = sndNxt;
                    sndNxt++;
                }
            } else if (hostEof) {
                // a FIN alone may go at a zero window: receivers accept it at the right edge
                sendData(sndNxt, off, 0, true, buffered);
                finSent = true;
                finSeq = sndNxt;
                sndNxt++;
            } else {
                break;
            }
            if (gt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
            sent = true;
        }
        if (sent && rtoAt == 0) {
            rtoAt = now + rto;
        }
        if (windowBlocked && sndWnd == 0 && sndUna == sndMax) {
            if (persistAt == 0) {
                persistAt = now + rto;
            }
        }
    }

    private void sendData(int seq, int off, int len, boolean fin, int buffered) {
        int flags = TcpSegment.ACK_FLAG;
        if (fin) {
            flags |= TcpSegment.FIN;
        }
        if (len > 0 && off + len == buffered) {
            flags |= TcpSegment.PSH;
        }
        owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, seq, rcvNxt, flags, advertiseWindow(),
                -1, -1, sendBuf, sendBuf.readerIndex() + off, len);
    }

    /** Retransmits the first unacknowledged segment (or the FIN), whatever the windows say. */
    private void retransmitFirst() {
        int dataEnd = finSent ? finSeq : sndMax;
        int len = Math.min(sndMss, dataEnd - sndUna);
        if (len < 0) {
            len = 0;
        }
        boolean fin = finSent && !finAcked && sndUna + len == finSeq;
        if (len == 0 && !fin) {
            return;
        }
        owner.cRetransmits.inc();
        sendData(sndUna, 0, len, fin, sendBuf.readableBytes());
        int end = sndUna + len + (fin ? 1 : 0);
        if (lt(sndNxt, end)) {
            sndNxt = end;
        }
    }

    // =====================================================================
    // timers: one scheduled task per flow, re-armed lazily
    // =====================================================================

    private void rttSample(long r) {
        if (r < 0) {
            return;
        }
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            long d = Math.abs(srtt - r);
            rttvar = (3 * rttvar + d) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        recomputeRto();
    }

    private void recomputeRto() {
        long r = srtt < 0 ? owner.initialRtoNs : srtt + Math.max(CLOCK_GRANULARITY_NS, 4 * rttvar);
        rto = Math.max(owner.minRtoNs, Math.min(owner.maxRtoNs, r));
    }

    private boolean idleApplies() {
        return state == State.ESTABLISHED || state == State.SYN_RCVD || state == State.SYN_SENT;
    }

    void armTimer() {
        if (state == State.CLOSED) {
            return;
        }
        long next = Long.MAX_VALUE;
        if (rtoAt != 0) {
            next = rtoAt;
        }
        if (persistAt != 0 && persistAt - next < 0) {
            next = persistAt;
        }
        if (stateDeadline != 0 && stateDeadline - next < 0) {
            next = stateDeadline;
        }
        if (idleApplies()) {
            long idle = lastActivity + owner.idleTimeoutNs;
            if (idle - next < 0) {
                next = idle;
            }
        }
        if (next == Long.MAX_VALUE) {
            return;
        }
        if (timer != null) {
            if (timerAt - next <= 0) {
                return; // fires no later than needed; it re-arms itself
            }
            timer.cancel(false);
        }
        long delay = Math.max(0, next - System.nanoTime());
        timerAt = next;
        timer = owner.ctx.loop().schedule(this, delay, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        timer = null;
        if (state == State.CLOSED) {
            return;
        }
        long now = System.nanoTime();
        try {
            if (stateDeadline != 0 && now - stateDeadline >= 0) {
                onStateDeadline();
                return;
            }
            if (idleApplies() && now - (lastActivity + owner.idleTimeoutNs) >= 0) {
                owner.cIdle.inc();
                abort("idle for " + owner.settings.idleTimeout(), true);
                return;
            }
            if (rtoAt != 0 && now - rtoAt >= 0) {
                onRto(now);
            }
            if (state != State.CLOSED && persistAt != 0 && now - persistAt >= 0) {
                onPersist(now);
            }
            armTimer();
        } finally {
            owner.requestLinkFlush();
        }
    }

    private void onStateDeadline() {
        switch (state) {
            case DROPPED -> free();
            case CONNECTING -> connectFailed(null);
            default -> abort("FIN timeout", true);
        }
    }

    private void backoff() {
        rto = Math.min(owner.maxRtoNs, rto * 2);
    }

    private void onRto(long now) {
        switch (state) {
            case SYN_RCVD -> {
                if (++retries > owner.settings.synRetries()) {
                    abort("guest never ACKed our SYN-ACK", true);
                    return;
                }
                backoff();
                sendSynAck(now);
            }
            case SYN_SENT -> {
                if (++retries > owner.settings.synRetries()) {
                    abort("guest never answered our SYN", false);
                    return;
                }
                backoff();
                sendSyn(now);
            }
            case ESTABLISHED -> {
                if (sndUna == sndMax) {
                    rtoAt = 0;
                    return;
                }
                if (++retries > owner.settings.maxRetransmits()) {
                    owner.cGiveUp.inc();
                    abort("retransmission limit reached", true);
                    return;
                }
                if (log.isTraceEnabled()) {
                    log.trace("{}: RTO #{} ({} ms), {} bytes outstanding", name, retries, rto / 1_000_000,
                            sndMax - sndUna);
                }
                ssthresh = Math.max((long) (sndMax - sndUna) / 2, 2L * sndMss);
                cwnd = sndMss;
                inRecovery = false;
                dupAcks = 0;
                rttTiming = false;
                sndNxt = sndUna; // go back: later segments follow as ACKs open cwnd
                retransmitFirst();
                backoff();
                rtoAt = now + rto;
            }
            default -> rtoAt = 0;
        }
    }

    private void onPersist(long now) {
        int unsent = sendBuf == null ? 0 : sendBuf.readableBytes() - (sndNxt - sndUna);
        if (state != State.ESTABLISHED || sndWnd != 0 || unsent <= 0) {
            persistAt = 0;
            persistBackoff = 0;
            return;
        }
        // zero-window probe: an old sequence number makes the guest answer with its current window
        owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort, sndUna - 1, rcvNxt, TcpSegment.ACK_FLAG,
                advertiseWindow(), -1, -1, null, 0, 0);
        persistBackoff = Math.min(persistBackoff + 1, 16);
        persistAt = now + Math.min(owner.maxRtoNs, rto << persistBackoff);
    }

    // =====================================================================
    // teardown
    // =====================================================================

    /** Resets the flow: RST to the guest (unless {@code rstGuest} is false), RST to the host peer, freed. */
    void abort(String why, boolean rstGuest) {
        if (state == State.CLOSED) {
            return;
        }
        event("reset: " + why);
        if (rstGuest) {
            switch (state) {
                case CONNECTING -> owner.refuse(v6, guestHi, guestLo, guestPort, peerHi, peerLo, peerPort, guestIsn);
                case SYN_RCVD, ESTABLISHED -> owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort,
                        sndMax, rcvNxt, TcpSegment.RST | TcpSegment.ACK_FLAG, 0, -1, -1, null, 0, 0);
                case SYN_SENT -> owner.emit(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort,
                        sndNxt, 0, TcpSegment.RST, 0, -1, -1, null, 0, 0);
                default -> {
                }
            }
        }
        if (ch != null) {
            abortChannel(ch);
        }
        free();
    }

    /** Closes a host channel so its peer sees a reset rather than an orderly FIN. */
    static void abortChannel(Channel c) {
        if (c.isOpen()) {
            try {
                c.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // not connected yet or already gone: a plain close is all there is
            }
            closeChannel(c);
        }
    }

    /** close(), also for a channel that never got registered (netty refuses a pipeline close then). */
    static void closeChannel(Channel c) {
        if (c.isRegistered()) {
            c.close();
        } else {
            c.unsafe().closeForcibly();
        }
    }

    /** Forgets the flow: timer, buffers, table slot and budget. The channel is closed if still open. */
    private void free() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (sendBuf != null) {
            sendBuf.release();
            sendBuf = null;
        }
        releaseOutOfOrder();
        owner.remove(this);
        if (ch != null && ch.isOpen()) {
            closeChannel(ch);
        }
    }

    // ---- for tests ----

    int sndWindowForTest() {
        return (int) sndWnd;
    }

    int bufferedForTest() {
        return sendBuf == null ? 0 : sendBuf.readableBytes();
    }
}
