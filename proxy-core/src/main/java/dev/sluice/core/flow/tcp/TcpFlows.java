package dev.sluice.core.flow.tcp;

import dev.sluice.core.flow.DeviceBinder;
import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.GuestFrames;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.link.Offloads;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.link.Offloads;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.SocketChannel;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's TCP translation: every guest TCP connection becomes an ordinary
 * host socket and back (see {@link TcpFlow} for one connection). This class
 * owns the flow table, decides new outbound flows (mapping, gate, budget),
 * opens inbound ones for port forwarding, answers segments of unknown flows
 * with RST, builds every frame to the guest and batches the flushes: guest
 * data is written to host sockets, ACKs are sent and the link is flushed
 * once per event-loop wakeup rather than per packet.
 *
 * <p>Event loop only ({@code ctx.loop()}): no locks.
 */
public final class TcpFlows implements L4Handler {
    private static final Logger log = LoggerFactory.getLogger(TcpFlows.class);
    private static final long BUDGET_LOG_INTERVAL_NS = 10_000_000_000L;

    final SluiceContext ctx;
    final TcpSettings settings;
    final DeviceBinder binder;
    private final AddressMapper mapper;
    private final OutboundGate gate;
    private final FlowBudget budget;
    private final TcpFlowTable table = new TcpFlowTable();
    /**
     * Outbound flows whose host connect has not completed, and DROP tombstones,
     * oldest first: when TCP's cap is reached the oldest of them makes room
     * (the guest gets RST+ACK for it), so a SYN flood towards destinations that
     * never answer cannot keep an honest connection out.
     */
    private final LinkedHashSet<TcpFlow> evictable = new LinkedHashSet<>();
    private final LogLimiter evictLog = new LogLimiter();
    private final TcpSegment seg = new TcpSegment();
    /** Ethernet and IP headers: one builder for every frame to the guest (TTL 255 as passt). */
    private final GuestFrames frames;

    /** MSS we announce: the guest's MTU minus IP and TCP headers. */
    final int ourMss4;
    final int ourMss6;
    /** Window scale we announce: enough for {@link TcpSettings#hostWriteQueue()}. */
    final int ourWscale;

    final long connectTimeoutNs;
    final long idleTimeoutNs;
    final long finTimeoutNs;
    final long initialRtoNs;
    final long minRtoNs;
    final long maxRtoNs;
    final long dropHoldNs;
    /** The guest link's cap on the window a flow offers ({@code GuestLink.maxGuestWindow}). */
    final int linkWindow;

    private final ArrayList<TcpFlow> dirty = new ArrayList<>();
    private final Runnable flushTask = this::flushBatch;
    private boolean flushScheduled;
    private boolean closed;
    private long lastBudgetLog = System.nanoTime() - BUDGET_LOG_INTERVAL_NS;

    final Counters.Counter cBad;
    final Counters.Counter cBadChecksum;
    /** Flows that found the link full and waited for it (flow control, not loss). */
    final Counters.Counter cLinkWaits;
    final Counters.Counter cNoFlow;
    final Counters.Counter cRejected;
    final Counters.Counter cDropped;
    final Counters.Counter cBudgetFull;
    final Counters.Counter cRateLimited;
    final Counters.Counter cEvicted;
    final Counters.Counter cOpenFailed;
    private final LogLimiter rateLog = new LogLimiter();
    final LogLimiter socketLog = new LogLimiter();
    private final LogLimiter errorLog = new LogLimiter();
    final Counters.Counter cConnectFailed;
    final Counters.Counter cOpened;
    final Counters.Counter cInbound;
    final Counters.Counter cRetransmits;
    final Counters.Counter cFastRetransmits;
    final Counters.Counter cGiveUp;
    final Counters.Counter cOutOfOrder;
    final Counters.Counter cGuestResets;
    final Counters.Counter cHostResets;
    final Counters.Counter cIdle;
    final Counters.Counter cBindFailed;
    final Counters.Counter cErrors;

    /**
     * Without a {@link DeviceBinder}: a gate decision naming an interface fails
     * closed (RST+ACK, counted in {@code tcp.bind_failed}).
     * TODO(lead): construct with {@code dev.sluice.core.host.SocketOptions::bindToDevice} once host/ is merged.
     */
    public TcpFlows(SluiceContext ctx, AddressMapper mapper, OutboundGate gate, FlowBudget budget, TcpSettings settings) {
        this(ctx, mapper, gate, budget, settings, DeviceBinder.UNSUPPORTED);
    }

    /**
     * @param binder how to apply a decision's bind interface to a host socket
     *               (the runtime passes {@code dev.sluice.core.host.SocketOptions::bindToDevice})
     */
    public TcpFlows(SluiceContext ctx, AddressMapper mapper, OutboundGate gate, FlowBudget budget, TcpSettings settings,
                    DeviceBinder binder) {
        this.ctx = ctx;
        this.mapper = mapper;
        this.gate = gate;
        this.budget = budget;
        this.settings = settings;
        this.binder = binder;
        this.frames = new GuestFrames(ctx);
        int mtu = ctx.guest().mtu() > 0 ? ctx.guest().mtu() : GuestConfig.DEFAULT_MTU;
        this.ourMss4 = Math.max(536, Math.min(0xffff, mtu - Ipv4Packet.MIN_HEADER_LEN - TcpSegment.HEADER_LEN));
        this.ourMss6 = Math.max(1220, Math.min(0xffff, mtu - Ipv6Packet.HEADER_LEN - TcpSegment.HEADER_LEN));
        int s = 0;
        while (s < TcpSegment.MAX_WSCALE && (0xffffL << s) < settings.hostWriteQueue()) {
            s++;
        }
        this.ourWscale = s;
        this.connectTimeoutNs = settings.connectTimeout().toNanos();
        this.idleTimeoutNs = settings.idleTimeout().toNanos();
        this.finTimeoutNs = settings.finTimeout().toNanos();
        this.initialRtoNs = settings.initialRto().toNanos();
        this.minRtoNs = settings.minRto().toNanos();
        this.maxRtoNs = settings.maxRto().toNanos();
        this.dropHoldNs = settings.dropHold().toNanos();
        this.linkWindow = ctx.link() != null ? Math.max(1024, ctx.link().maxGuestWindow()) : Integer.MAX_VALUE;
        if (ctx.link() != null) {
            ctx.link().addWritabilityListener(this::onLinkWritable);
        }
        Counters c = ctx.counters();
        cBad = c.get("tcp.bad");
        cBadChecksum = c.get("tcp.bad_checksum");
        cLinkWaits = c.get("tcp.link_waits");
        cNoFlow = c.get("tcp.no_flow");
        cRejected = c.get("tcp.rejected");
        cDropped = c.get("tcp.dropped");
        cBudgetFull = c.get("tcp.budget_full");
        cRateLimited = c.get("tcp.rate_limited");
        cEvicted = c.get("tcp.evicted_pending");
        cOpenFailed = c.get("tcp.open_failed");
        cConnectFailed = c.get("tcp.connect_failed");
        cOpened = c.get("tcp.opened");
        cInbound = c.get("tcp.inbound");
        cRetransmits = c.get("tcp.retransmits");
        cFastRetransmits = c.get("tcp.fast_retransmits");
        cGiveUp = c.get("tcp.retransmit_give_up");
        cOutOfOrder = c.get("tcp.out_of_order");
        cGuestResets = c.get("tcp.guest_resets");
        cHostResets = c.get("tcp.host_resets");
        cIdle = c.get("tcp.idle_timeouts");
        cBindFailed = c.get("tcp.bind_failed");
        cErrors = c.get("tcp.errors");
    }

    // ---- guest side ----

    @Override
    public void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len) {
        onPacket(frame, ipOff, ipv6, l4Off, l4Len, 0);
    }

    @Override
    public void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len, int rxFlags) {
        if (closed) {
            return;
        }
        try {
            handle(frame, ipOff, ipv6, l4Off, l4Len, (rxFlags & FrameHandler.RX_CSUM_VALID) != 0);
        } catch (RuntimeException e) {
            // a bug must not take the link down with it: count, log, carry on
            cErrors.inc();
            if (errorLog.allow()) {
                log.warn("tcp: error handling a guest segment (counted in tcp.errors; {} more since the last line)",
                        errorLog.suppressed(), e);
            }
        }
    }

    private void handle(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len, boolean csumValid) {
        TcpSegment s = seg;
        if (!s.wrap(frame, l4Off, l4Len)) {
            cBad.inc();
            return;
        }
        long gHi;
        long gLo;
        long pHi;
        long pLo;
        long pseudo;
        if (ipv6) {
            gHi = frame.getLong(ipOff + Ipv6Packet.SRC);
            gLo = frame.getLong(ipOff + Ipv6Packet.SRC + 8);
            pHi = frame.getLong(ipOff + Ipv6Packet.DST);
            pLo = frame.getLong(ipOff + Ipv6Packet.DST + 8);
            pseudo = Checksum.pseudoV6(gHi, gLo, pHi, pLo, Ipv6Packet.NH_TCP, l4Len);
        } else {
            gHi = 0;
            pHi = 0;
            gLo = frame.getUnsignedInt(ipOff + Ipv4Packet.SRC);
            pLo = frame.getUnsignedInt(ipOff + Ipv4Packet.DST);
            pseudo = Checksum.pseudoV4((int) gLo, (int) pLo, Ipv4Packet.PROTO_TCP, l4Len);
        }
        if (!csumValid && settings.verifyChecksums() && !s.verifyChecksum(pseudo)) {
            cBadChecksum.inc();
            return;
        }
        int gPort = s.srcPort();
        int pPort = s.dstPort();
        if (gPort == 0 || pPort == 0) {
            cBad.inc();
            return;
        }
        TcpFlow f = table.get(ipv6, gHi, gLo, gPort, pHi, pLo, pPort);
        long now = System.nanoTime();
        if (f != null && f.onSegment(s, frame, now)) {
            // handled by the flow
        } else if (s.syn() && !s.hasAck() && !s.rst() && !s.fin()) {
            openOutbound(s, ipv6, gHi, gLo, gPort, pHi, pLo, pPort, now);
        } else if (!s.rst()) {
            cNoFlow.inc();
            resetUnknown(s, ipv6, gHi, gLo, gPort, pHi, pLo, pPort);
        }
        requestLinkFlush();
    }

    /** RFC 9293 §3.10.7.1: a segment for no connection gets a RST that the sender will accept. */
    private void resetUnknown(TcpSegment s, boolean v6, long gHi, long gLo, int gPort, long pHi, long pLo, int pPort) {
        TcpPath p = new TcpPath(v6, pHi, pLo, pPort, gHi, gLo, gPort);
        if (s.hasAck()) {
            emit(p, TcpRepr.of(s.ack(), 0, TcpSegment.RST, 0));
        } else {
            emit(p, TcpRepr.of(0, s.seq() + s.sequenceLength(), TcpSegment.RST | TcpSegment.ACK_FLAG, 0));
        }
    }

    private void openOutbound(TcpSegment s, boolean v6, long gHi, long gLo, int gPort, long pHi, long pLo, int pPort,
                              long now) {
        InetAddress guestAddr = address(v6, gHi, gLo);
        InetAddress dst = address(v6, pHi, pLo);
        InetSocketAddress guestSrc = new InetSocketAddress(guestAddr, gPort);
        InetSocketAddress dstAsSent = new InetSocketAddress(dst, pPort);
        ctx.guestState().sawAddress(guestAddr);
        int isn = s.seq();
        InetAddress mapped = mapper.outboundDestination(dst, pPort, FlowProtocol.TCP);
        if (mapped == null) {
            cRejected.inc();
            log.debug("tcp {} > {}: no host destination, refused", guestSrc, dstAsSent);
            refuse(v6, gHi, gLo, gPort, pHi, pLo, pPort, isn);
            return;
        }
        InetSocketAddress dstMapped = new InetSocketAddress(mapped, pPort);
        GateDecision d;
        try {
            d = gate.decide(FlowProtocol.TCP, guestSrc, dstAsSent, dstMapped);
        } catch (RuntimeException e) {
            // the chain is meant to fail closed itself; this is the last line of that
            if (errorLog.allow()) {
                log.warn("tcp {} > {}: gate failed, refusing: {}", guestSrc, dstAsSent, e.toString());
            }
            d = GateDecision.reject("gate", "exception");
        }
        if (d == null || d.action() == GateDecision.Action.REJECT) {
            cRejected.inc();
            log.debug("tcp {} > {}: rejected by {} ({})", guestSrc, dstAsSent,
                    d == null ? "gate" : d.plugin(), d == null ? "no decision" : d.reason());
            refuse(v6, gHi, gLo, gPort, pHi, pLo, pPort, isn);
            return;
        }
        if (d.action() == GateDecision.Action.DROP) {
            cDropped.inc();
            log.debug("tcp {} > {}: dropped by {} ({})", guestSrc, dstAsSent, d.plugin(), d.reason());
            // remember the tuple for a while so the guest's SYN retransmissions are not decided again
            if (dropHoldNs > 0 && budget.tryAcquire()) {
                TcpFlow tomb = new TcpFlow(this, v6, gHi, gLo, gPort, pHi, pLo, pPort, false,
                        "tcp " + fmt(guestSrc) + " > " + fmt(dstAsSent));
                tomb.mapped = dstMapped;
                tomb.decision = d;
                tomb.startDropped(isn, now);
                table.put(tomb);
                evictable.add(tomb);
            }
            return;
        }
        if (!budget.admitNew(now)) {
            cRateLimited.inc();
            if (rateLog.allow(now)) {
                log.warn("tcp {} > {}: over --flow-rate tcp={} new flows/s, refused (counted in tcp.rate_limited; "
                        + "{} more since the last line)", guestSrc, dstAsSent, budget.rate(), rateLog.suppressed());
            }
            refuse(v6, gHi, gLo, gPort, pHi, pLo, pPort, isn);
            return;
        }
        if (!budget.tryAcquire() && !(evictOldestPending(now) && budget.tryAcquire())) {
            cBudgetFull.inc();
            if (now - lastBudgetLog >= BUDGET_LOG_INTERVAL_NS) {
                lastBudgetLog = now;
                log.warn("tcp flow table full ({} flows): refusing tcp {} > {} (counted in tcp.budget_full)",
                        budget.max(), guestSrc, dstAsSent);
            }
            refuse(v6, gHi, gLo, gPort, pHi, pLo, pPort, isn);
            return;
        }
        TcpFlow f = new TcpFlow(this, v6, gHi, gLo, gPort, pHi, pLo, pPort, false,
                "tcp " + fmt(guestSrc) + " > " + fmt(dstAsSent)
                        + (mapped.equals(dst) ? "" : " (via " + mapped.getHostAddress() + ")"));
        table.put(f);
        evictable.add(f);
        cOpened.inc();
        f.startOutbound(s, dstMapped, d, now);
    }

    /** Frees the oldest pending connect (or tombstone); false when there is none. */
    private boolean evictOldestPending(long now) {
        Iterator<TcpFlow> it = evictable.iterator();
        if (!it.hasNext()) {
            return false;
        }
        TcpFlow old = it.next();
        it.remove();
        cEvicted.inc();
        if (evictLog.allow(now)) {
            log.warn("tcp flow table full ({} flows): dropping the oldest pending connect, {}, for a new one "
                    + "(counted in tcp.evicted_pending; {} more since the last line)", budget.max(), old.name,
                    evictLog.suppressed());
        }
        old.abort("evicted: the table is full", true);
        return true;
    }

    /** The host connect of {@code f} completed: it is an established flow now, never evicted. */
    void connected(TcpFlow f) {
        evictable.remove(f);
    }

    /** RST+ACK acknowledging the SYN: what a Linux guest in SYN-SENT accepts as "connection refused". */
    void refuse(boolean v6, long gHi, long gLo, int gPort, long pHi, long pLo, int pPort, int isn) {
        emit(new TcpPath(v6, pHi, pLo, pPort, gHi, gLo, gPort),
                TcpRepr.of(0, isn + 1, TcpSegment.RST | TcpSegment.ACK_FLAG, 0));
    }

    // ---- inbound (port forwarding) ----

    /**
     * Inbound port forwarding: a host connection was accepted; open a flow to
     * the guest (SYN to {@code guestDst} from {@code guestVisibleSrc}). Called
     * on ctx.loop(). The flow owns {@code accepted} from here on (closes it on
     * failure).
     *
     * @param accepted        already registered on ctx.loop(), autoRead off
     * @param guestDst        the guest's address and port the connection goes to
     * @param guestVisibleSrc where the connection appears to come from inside the guest (same family)
     */
    public void acceptInbound(SocketChannel accepted, InetSocketAddress guestDst, InetSocketAddress guestVisibleSrc) {
        boolean v6 = guestDst.getAddress() instanceof Inet6Address;
        if (closed || !ctx.link().isUp() || v6 != (guestVisibleSrc.getAddress() instanceof Inet6Address)) {
            log.debug("tcp inbound {} < {}: no guest or family mismatch, closing", guestDst, guestVisibleSrc);
            TcpFlow.abortChannel(accepted);
            return;
        }
        long[] g = halves(guestDst.getAddress());
        long[] p = halves(guestVisibleSrc.getAddress());
        int gPort = guestDst.getPort();
        int pPort = guestVisibleSrc.getPort();
        if (table.get(v6, g[0], g[1], gPort, p[0], p[1], pPort) != null) {
            log.debug("tcp inbound {} < {}: tuple busy, closing", guestDst, guestVisibleSrc);
            TcpFlow.abortChannel(accepted);
            return;
        }
        if (!budget.tryAcquire()) {
            cBudgetFull.inc();
            long now = System.nanoTime();
            if (now - lastBudgetLog >= BUDGET_LOG_INTERVAL_NS) {
                lastBudgetLog = now;
                log.warn("flow table full ({} flows): refusing inbound tcp to {}", budget.max(), guestDst);
            }
            TcpFlow.abortChannel(accepted);
            return;
        }
        TcpFlow f = new TcpFlow(this, v6, g[0], g[1], gPort, p[0], p[1], pPort, true,
                "tcp " + fmt(guestDst) + " < " + fmt(guestVisibleSrc) + " (inbound)");
        table.put(f);
        cInbound.inc();
        f.startInbound(accepted, System.nanoTime());
        requestLinkFlush();
    }

    public int activeFlows() {
        return table.size();
    }

    /** Appends copies of at most {@code max} flows to {@code out}, for the control socket; on the loop. */
    public void snapshot(List<dev.sluice.core.flow.FlowInfo> out, int max) {
        long now = System.nanoTime();
        for (TcpFlow f : table.snapshot()) {
            if (out.size() >= max) {
                return;
            }
            if (f.state != TcpFlow.State.CLOSED) {
                out.add(f.info(now));
            }
        }
    }

    /** The guest went away: reset every host connection and forget every flow. */
    public void onLinkDown() {
        for (TcpFlow f : table.snapshot()) {
            f.abort("guest link down", false);
        }
    }

    public void close() {
        onLinkDown();
        closed = true;
    }

    // ---- shared by the flows ----

    void remove(TcpFlow f) {
        evictable.remove(f);
        if (table.remove(f)) {
            budget.release();
        }
    }

    /** Queues a flow for the end-of-batch work (host flush, ACK). */
    void markDirty(TcpFlow f) {
        if (!f.inDirty) {
            f.inDirty = true;
            dirty.add(f);
        }
        scheduleFlush();
    }

    /** Makes sure the link is flushed at the end of this wakeup. */
    void requestLinkFlush() {
        scheduleFlush();
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.loop().execute(flushTask);
        }
    }

    private void flushBatch() {
        try {
            // flows may re-mark themselves (or others) while flushing: the list can grow under the loop
            for (int i = 0; i < dirty.size(); i++) {
                TcpFlow f = dirty.get(i);
                f.inDirty = false;
                f.flushBatch();
            }
        } finally {
            dirty.clear();
            flushScheduled = false;
            ctx.link().flush();
        }
    }

    int nextIsn() {
        return ThreadLocalRandom.current().nextInt();
    }

    /** A segment without payload to the guest (SYN, ACK, RST), queued on the link. */
    void emit(TcpPath p, TcpRepr r) {
        emitData(p, r, null, 0, 0, 0);
    }

    // ---- link backpressure: flows wait in an intrusive list, resumed when the link drains ----

    private TcpFlow waiters;

    /** {@code f} has data for the guest and the link is full: resumed by {@link #onLinkWritable}. */
    void park(TcpFlow f) {
        if (!f.waiting) {
            cLinkWaits.inc();
            f.waiting = true;
            f.nextWaiter = waiters;
            waiters = f;
        }
    }

    private void onLinkWritable() {
        TcpFlow f = waiters;
        waiters = null; // flows that meet a full link again park themselves anew
        while (f != null) {
            TcpFlow next = f.nextWaiter;
            f.nextWaiter = null;
            f.waiting = false;
            f.resumeSend();
            f = next;
        }
        requestLinkFlush();
    }

    /** The most payload one segment to the guest may carry over this link (GSO: a super-segment). */
    int maxSegment(boolean v6, int mss) {
        Offloads o = ctx.link().offloads();
        if (!o.checksum() || o.maxFrame() <= 0) {
            return mss;
        }
        int ipHdr = v6 ? Ipv6Packet.HEADER_LEN : Ipv4Packet.MIN_HEADER_LEN;
        int byFrame = o.maxFrame() - GuestFrames.l4Offset(v6) - TcpSegment.HEADER_LEN;
        int byIp = 0xffff - TcpSegment.HEADER_LEN - (v6 ? 0 : ipHdr);
        return Math.max(mss, Math.min(byFrame, byIp));
    }

    /**
     * Builds one segment to the guest in a pooled direct buffer and queues it
     * on the link: {@code r} describes it, {@code p} says from where to
     * where; the payload, if any, is copied from {@code payload} starting
     * {@code off} bytes after its front. Over a link with checksum offload a
     * data segment leaves its checksum to the link, and one longer than
     * {@code mss} goes as a GSO super-segment cut into {@code mss}-byte segments.
     */
    void emitData(TcpPath p, TcpRepr r, TcpSendQueue payload, int off, int payLen, int mss) {
        GuestLink link = ctx.link();
        if (!link.isUp()) {
            return;
        }
        int l4 = GuestFrames.l4Offset(p.v6());
        int tcpHdr = r.headerLength();
        int tcpLen = tcpHdr + payLen;
        int frameLen = l4 + tcpLen;
        ByteBuf f = ctx.alloc().directBuffer(frameLen);
        frames.headers(f, 0, p.v6(), p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), Ipv4Packet.PROTO_TCP, tcpLen);
        r.emit(f, l4, p.srcPort(), p.dstPort());
        if (payLen > 0) {
            payload.copy(off, f, l4 + tcpHdr, payLen);
        }
        f.writerIndex(frameLen);
        if (payLen > 0 && link.offloads().checksum()) {
            // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, the link completes it
            f.setShort(l4 + TcpSegment.CHECKSUM, (int) Checksum.fold(pseudo(p, tcpLen)));
            link.sendOffloaded(f, payLen > mss ? mss : 0);
            return;
        }
        TcpSegment.fillChecksum(f, l4, tcpLen, pseudo(p, tcpLen));
        link.send(f);
    }

    /** The pseudo-header sum of a segment of {@code tcpLen} bytes along {@code p}. */
    static long pseudo(TcpPath p, int tcpLen) {
        return p.v6() ? Checksum.pseudoV6(p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), Ipv6Packet.NH_TCP, tcpLen)
                : Checksum.pseudoV4((int) p.srcLo(), (int) p.dstLo(), Ipv4Packet.PROTO_TCP, tcpLen);
    }

    // ---- address helpers (per new flow, never per packet) ----

    static InetAddress address(boolean v6, long hi, long lo) {
        try {
            if (v6) {
                byte[] b = new byte[16];
                for (int i = 0; i < 8; i++) {
                    b[i] = (byte) (hi >>> (56 - 8 * i));
                    b[8 + i] = (byte) (lo >>> (56 - 8 * i));
                }
                return InetAddress.getByAddress(b);
            }
            int a = (int) lo;
            return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen with 4 or 16 bytes
        }
    }

    /** An address as (high, low) halves: IPv4 in the low 32 bits of the low half. */
    static long[] halves(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return new long[] {0, ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL)};
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xffL);
            lo = (lo << 8) | (b[8 + i] & 0xffL);
        }
        return new long[] {hi, lo};
    }

    static String fmt(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        return ip instanceof Inet6Address ? "[" + ip.getHostAddress() + "]:" + a.getPort()
                : ip.getHostAddress() + ":" + a.getPort();
    }

    /** For tests and stats: the flows currently in the table. */
    List<TcpFlow> flows() {
        return table.snapshot();
    }
}
