package dev.sluice.core.flow.tcp;

import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
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
 * This class is the state machine and the netty handler of the host channel;
 * the work is in its parts:
 * <ul>
 * <li>{@link TcpReceiver}: guest to host (receive window, out-of-order
 *     segments, writes to the host and what the kernel has taken);
 * <li>{@link TcpSender}: host to guest (unacknowledged data, windows,
 *     congestion control, retransmission);
 * <li>{@link TcpTimers}: RTO estimate and deadlines, fired by one scheduled
 *     task per flow ({@link #run}).
 * </ul>
 *
 * <p><b>Host to guest.</b> Java cannot {@code MSG_PEEK} as passt does, so
 * host data read from the socket is kept, in the read buffers themselves,
 * until the guest acknowledges it, bounded by the guest's window (reading
 * pauses above it).
 *
 * <p><b>Closing.</b> Guest FIN: shutdownOutput on the socket once everything
 * before it was written; host data keeps flowing. Host EOF: FIN to the guest
 * after the data; guest data keeps flowing. Both done and our FIN acknowledged:
 * the flow is freed at once (no TIME_WAIT on our side, like passt). RST either
 * way resets the other side (host: {@code SO_LINGER 0} close).
 *
 * <p>Sequence numbers are {@code int}s compared modulo 2^32.
 */
final class TcpFlow extends ChannelInboundHandlerAdapter implements Runnable, TcpReceiver.Events, TcpSender.Output {
    private static final Logger log = LoggerFactory.getLogger(TcpFlow.class);

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
    /** Segments to the guest: from the peer, to the guest. */
    final TcpPath path;
    /** Queued in the owner's end-of-batch list. */
    boolean inDirty;
    /** Parked in the owner's list of flows waiting for the link to drain (intrusive: no allocation). */
    boolean waiting;
    TcpFlow nextWaiter;

    State state;
    Channel ch;
    private final int ourMss;
    private int guestIsn;
    private boolean wscaleOk;
    boolean outputShut;
    private boolean readPaused;
    private long synSentAt;

    final TcpReceiver rx;
    final TcpSender tx;
    final TcpTimers timers;
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
        this.path = new TcpPath(v6, peerHi, peerLo, peerPort, guestHi, guestLo, guestPort);
        this.ourMss = v6 ? owner.ourMss6 : owner.ourMss4;
        int rcvQueue = (int) Math.min(Math.min(owner.settings.hostWriteQueue(), owner.linkWindow),
                (long) owner.settings.windowSegments() * ourMss);
        this.timers = new TcpTimers(owner.initialRtoNs, owner.minRtoNs, owner.maxRtoNs);
        this.rx = new TcpReceiver(this, owner.ctx.alloc(), rcvQueue, owner.cOutOfOrder);
        this.tx = new TcpSender(this, timers, owner.cRetransmits, owner.cFastRetransmits);
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
                describe(), rx.written, bytesFromHost, (now - createdAt) / 1_000_000L,
                decision == null ? null : decision.plugin(),
                state == State.DROPPED ? "drop" : dev.sluice.core.flow.FlowInfo.verdict(inbound ? null : decision));
    }

    /** State plus half-close flags, for logs. */
    String describe() {
        if (state != State.ESTABLISHED) {
            return String.valueOf(state);
        }
        StringBuilder sb = new StringBuilder("ESTABLISHED");
        if (rx.fin) {
            sb.append(outputShut ? " guest-FIN(host-shut)" : " guest-FIN");
        }
        if (tx.hostEof) {
            sb.append(tx.finAcked ? " host-EOF(FIN-acked)" : tx.finSent ? " host-EOF(FIN-sent)" : " host-EOF");
        }
        return sb.toString();
    }

    /** True once the host side delivers data for the guest (the send queue is in use). */
    private boolean sending() {
        return state == State.SYN_RCVD || state == State.SYN_SENT || state == State.ESTABLISHED;
    }

    // =====================================================================
    // opening
    // =====================================================================

    void startDropped(int isn, long now) {
        state = State.DROPPED;
        guestIsn = isn;
        timers.stateDeadline = now + owner.dropHoldNs;
        armTimer();
    }

    void startOutbound(TcpSegment syn, InetSocketAddress dstMapped, GateDecision d, long now) {
        state = State.CONNECTING;
        mapped = dstMapped;
        decision = d;
        event("connecting");
        timers.lastActivity = now;
        guestIsn = syn.seq();
        rx.start(guestIsn);
        takeSynOptions(syn, syn.window(), 0);
        tx.start(owner.nextIsn(), false);
        tx.sndWl1 = guestIsn;
        timers.stateDeadline = now + owner.connectTimeoutNs + 2_000_000_000L; // netty's connect timeout fires first
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
        rx.attach(c);
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
        timers.lastActivity = now;
        ch = accepted;
        rx.attach(accepted);
        configure(accepted);
        accepted.pipeline().addLast(this);
        tx.start(owner.nextIsn(), true);
        rx.rcvWscale = owner.ourWscale; // until the guest's SYN-ACK says whether it scales
        sendSyn(now);
        armTimer();
    }

    private void configure(SocketChannel c) {
        c.config().setAutoRead(false);
        c.config().setAllowHalfClosure(true);
        c.config().setTcpNoDelay(true);
    }

    private void takeSynOptions(TcpSegment s, int window, int ack) {
        int ws = s.windowScale();
        wscaleOk = ws >= 0;
        rx.rcvWscale = wscaleOk ? owner.ourWscale : 0;
        int m = s.mss() > 0 ? s.mss() : (v6 ? 1220 : 536);
        int mss = Math.max(64, Math.min(m, ourMss));
        tx.peerSyn(s.seq(), ack, window, wscaleOk ? ws : 0, mss);
        tx.maxSegment = owner.maxSegment(v6, mss);
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
        timers.stateDeadline = 0;
        owner.connected(this);
        transition(State.SYN_RCVD, "host connected");
        tx.sndNxt = tx.iss + 1;
        tx.sndMax = tx.sndNxt;
        timers.resetRto();
        // the host may talk first, even before the guest completes its handshake
        // (netty reads on EPOLLRDHUP whatever autoRead says): kept from now on
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

    private void sendSynAck(long now) {
        synSentAt = now;
        int w = rx.synWindow();
        owner.emit(path, new TcpRepr(tx.iss, rx.rcvNxt, TcpSegment.SYN | TcpSegment.ACK_FLAG, w, ourMss,
                wscaleOk ? owner.ourWscale : -1));
        timers.rtoAt = now + timers.rto();
    }

    private void sendSyn(long now) {
        synSentAt = now;
        owner.emit(path, new TcpRepr(tx.iss, 0, TcpSegment.SYN, Math.min(0xffff, rx.rcvQueue), ourMss,
                owner.ourWscale));
        timers.rtoAt = now + timers.rto();
    }

    private void established(long now) {
        transition(State.ESTABLISHED, inbound ? "guest answered SYN-ACK" : "guest ACKed SYN-ACK");
        tx.established();
        if (timers.retries == 0 && synSentAt != 0) {
            timers.sample(now - synSentAt); // Karn: only when the SYN was not retransmitted
        } else {
            timers.resetRto();
        }
        timers.retries = 0;
        timers.rtoAt = 0;
        if (!tx.hostEof && !readPaused) {
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
        timers.lastActivity = now;
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
                if (s.ack() != tx.iss + 1) {
                    resetSegmentAck(s);
                    return true;
                }
                established(now);
                break;
            default:
                break;
        }
        boolean finWasAcked = tx.finAcked;
        int r = tx.onAck(s.seq(), s.ack(), s.window(), s.payloadLength() == 0 && !s.fin(), now);
        if (r == TcpSender.ACK_UNSENT) {
            sendAck();
            armTimer();
            return true;
        }
        if (tx.finAcked && !finWasAcked) {
            event("guest ACKed our FIN");
        }
        if (r == TcpSender.ACK_NEW) {
            maybeResumeRead();
        }
        rx.onSegment(s, frame);
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
        if (s.ack() != tx.iss + 1) {
            owner.emit(path, TcpRepr.of(s.ack(), 0, TcpSegment.RST, 0));
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
                    timers.retries++;
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
        if (s.ack() != tx.iss + 1) {
            resetSegmentAck(s);
            return;
        }
        guestIsn = s.seq();
        rx.start(guestIsn);
        takeSynOptions(s, s.window(), s.ack());
        rx.rcvAdvEdge = rx.rcvNxt + Math.min(0xffff, rx.rcvQueue);
        established(now);
        sendAck();
        trySend(now);
        armTimer();
        owner.requestLinkFlush();
    }

    private void onGuestRst(TcpSegment s) {
        boolean acceptable = switch (state) {
            case CONNECTING, SYN_RCVD -> s.seq() == rx.rcvNxt;
            case SYN_SENT -> s.hasAck() && s.ack() == tx.iss + 1;
            // in window is enough: the guest only resets connections it knows
            default -> rx.inWindow(s.seq());
        };
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

    // ---- TcpReceiver.Events ----

    @Override
    public void ackNow() {
        sendAck();
    }

    @Override
    public void dirty() {
        owner.markDirty(this);
    }

    @Override
    public void finReceived() {
        event("guest FIN");
        if (tx.hostEof && timers.stateDeadline == 0) {
            timers.stateDeadline = System.nanoTime() + owner.finTimeoutNs;
        }
    }

    // =====================================================================
    // end of batch: flush the host channel, ACK, window updates
    // =====================================================================

    void flushBatch() {
        if (state == State.CLOSED) {
            return;
        }
        rx.flushHost();
        if (state == State.CLOSED) {
            return;
        }
        maybeShutdownOutput();
        if (rx.ackDue) {
            sendAck();
        }
        maybeFinish();
    }

    private void maybeShutdownOutput() {
        if (rx.fin && !outputShut && rx.allTaken() && state == State.ESTABLISHED) {
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
        if (state == State.ESTABLISHED && rx.fin && outputShut && tx.finAcked) {
            event("both directions closed, flow freed");
            ch.close();
            free();
        }
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
        owner.emit(path, TcpRepr.of(tx.sndMax, rx.rcvNxt, TcpSegment.ACK_FLAG, rx.advertiseWindow()));
    }

    // =====================================================================
    // host -> guest
    // =====================================================================

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        if (!sending() || tx.hostEof || !b.isReadable()) {
            b.release();
            return;
        }
        long now = System.nanoTime();
        timers.lastActivity = now;
        bytesFromHost += b.readableBytes();
        tx.queue.add(b);
        trySend(now);
        if (!readPaused && tx.queue.readableBytes() >= readLimit()) {
            readPaused = true;
            ch.config().setAutoRead(false);
        }
        armTimer();
        owner.requestLinkFlush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && sending() && !tx.hostEof) {
            long now = System.nanoTime();
            tx.hostEof = true;
            event("host EOF");
            if (rx.fin && timers.stateDeadline == 0) {
                timers.stateDeadline = now + owner.finTimeoutNs;
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
        long l = Math.max(tx.maxSndWnd, owner.settings.minHostReadBuffer());
        return (int) Math.min(l, owner.settings.maxHostReadBuffer());
    }

    private void maybeResumeRead() {
        if (readPaused && !tx.hostEof && tx.queue.readableBytes() < readLimit() - readLimit() / 4) {
            readPaused = false;
            ch.config().setAutoRead(true);
        }
    }

    private void trySend(long now) {
        if (state == State.ESTABLISHED) {
            tx.trySend(now);
        }
    }

    /**
     * TcpSender.Output: one data segment (or FIN) from the send queue; refused
     * while the link is full (the flow parks until it drains: flow control,
     * not loss).
     */
    @Override
    public boolean data(int seq, int off, int len, int flags) {
        if (!ready()) {
            owner.park(this);
            return false;
        }
        owner.emitData(path, TcpRepr.of(seq, rx.rcvNxt, flags, rx.advertiseWindow()), tx.queue, off, len, tx.sndMss);
        return true;
    }

    @Override
    public boolean ready() {
        return owner.ctx.link().isWritable();
    }

    /** The link drained: send what waited. */
    void resumeSend() {
        if (state == State.CLOSED) {
            return;
        }
        trySend(System.nanoTime());
        armTimer();
    }

    // =====================================================================
    // timers: one scheduled task per flow, re-armed lazily
    // =====================================================================

    private boolean idleApplies() {
        return state == State.ESTABLISHED || state == State.SYN_RCVD || state == State.SYN_SENT;
    }

    void armTimer() {
        if (state == State.CLOSED) {
            return;
        }
        long next = timers.next(idleApplies() ? timers.lastActivity + owner.idleTimeoutNs : 0);
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
            if (timers.stateDeadline != 0 && now - timers.stateDeadline >= 0) {
                onStateDeadline();
                return;
            }
            if (idleApplies() && now - (timers.lastActivity + owner.idleTimeoutNs) >= 0) {
                owner.cIdle.inc();
                abort("idle for " + owner.settings.idleTimeout(), true);
                return;
            }
            if (timers.rtoAt != 0 && now - timers.rtoAt >= 0) {
                onRto(now);
            }
            if (state != State.CLOSED && timers.persistAt != 0 && now - timers.persistAt >= 0) {
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

    private void onRto(long now) {
        switch (state) {
            case SYN_RCVD -> {
                if (++timers.retries > owner.settings.synRetries()) {
                    abort("guest never ACKed our SYN-ACK", true);
                    return;
                }
                timers.backoff();
                sendSynAck(now);
            }
            case SYN_SENT -> {
                if (++timers.retries > owner.settings.synRetries()) {
                    abort("guest never answered our SYN", false);
                    return;
                }
                timers.backoff();
                sendSyn(now);
            }
            case ESTABLISHED -> {
                if (tx.allAcked()) {
                    timers.rtoAt = 0;
                    return;
                }
                if (!ready()) {
                    // the link holds our segments back: not a loss; look again later
                    timers.rtoAt = now + timers.rto();
                    owner.park(this);
                    return;
                }
                if (++timers.retries > owner.settings.maxRetransmits()) {
                    owner.cGiveUp.inc();
                    abort("retransmission limit reached", true);
                    return;
                }
                if (log.isTraceEnabled()) {
                    log.trace("{}: RTO #{} ({} ms), {} bytes outstanding", name, timers.retries,
                            timers.rto() / 1_000_000, tx.sndMax - tx.sndUna);
                }
                tx.onRto(now);
            }
            default -> timers.rtoAt = 0;
        }
    }

    private void onPersist(long now) {
        if (state != State.ESTABLISHED || !tx.needsProbe()) {
            timers.stopPersist();
            return;
        }
        // zero-window probe: an old sequence number makes the guest answer with its current window
        owner.emit(path, TcpRepr.of(tx.sndUna - 1, rx.rcvNxt, TcpSegment.ACK_FLAG, rx.advertiseWindow()));
        timers.persistProbed(now);
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
                case SYN_RCVD, ESTABLISHED -> owner.emit(path,
                        TcpRepr.of(tx.sndMax, rx.rcvNxt, TcpSegment.RST | TcpSegment.ACK_FLAG, 0));
                case SYN_SENT -> owner.emit(path, TcpRepr.of(tx.sndNxt, 0, TcpSegment.RST, 0));
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
        tx.queue.release();
        rx.release();
        owner.remove(this);
        if (ch != null && ch.isOpen()) {
            closeChannel(ch);
        }
    }

    // ---- for tests ----

    int sndWindowForTest() {
        return (int) tx.sndWnd;
    }

    int bufferedForTest() {
        return tx.queue.readableBytes();
    }
}
