package dev.sluice.core.flow.udp;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowKey;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.GuestAddresses;
import dev.sluice.core.flow.GuestFrames;
import dev.sluice.core.flow.HeadroomAllocator;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP translation (passt's {@code udp.c} role). A flow per (guest address,
 * guest port, destination address, destination port), each with its own host
 * socket connected to the mapped destination: the kernel then filters replies
 * to that peer, reports ICMP errors as ECONNREFUSED on it, and the reply
 * needs no lookup (the socket's handler is the flow).
 *
 * <p>The first datagram of a flow goes through the address mapper, the gate
 * (once: a refused flow is remembered without a socket), then the flow
 * budget. REJECT and a full budget answer the guest with ICMP/ICMPv6 port
 * unreachable quoting its datagram (a connected socket in a Linux guest then
 * sees ECONNREFUSED); DROP stays silent. Replies reach the guest from the
 * address and port it sent to, never the mapped ones. Flows idle for
 * {@link UdpSettings#idleTimeout()} in both directions are closed.
 *
 * <p>Inbound flows (datagrams to a forwarded host port) live in the same
 * table, keyed as the guest sees them, so the guest's replies find them
 * before they could be taken for a new outbound flow.
 *
 * <p>No allocation per datagram on an established flow guest to host beyond
 * the pooled buffer handed to the socket; host to guest, replies are read
 * into pooled buffers with room for the headers in front and sent to the
 * guest link as they are.
 *
 * <p>Deliberately not here: fragments (dropped by the dispatcher), multicast
 * and broadcast from the guest (dropped and counted), UDP checksum
 * verification (the guest link is virtual; the host kernel checksums what
 * leaves).
 */
public final class UdpFlows implements L4Handler {
    private static final Logger log = LoggerFactory.getLogger(UdpFlows.class);
    /** Refused flows remembered at most: beyond this the gate is simply asked again. */
    private static final int MAX_DENIED = 4096;
    private static final int MAX_PENDING = 8;
    private static final int HDR_V4 = GuestFrames.L4_V4 + UdpDatagram.HEADER_LEN;
    private static final int HDR_V6 = GuestFrames.L4_V6 + UdpDatagram.HEADER_LEN;

    private final SluiceContext ctx;
    private final AddressMapper mapper;
    private final OutboundGate gate;
    private final FlowBudget budget;
    private final UdpSettings settings;
    private final GuestFrames frames;
    private final HeadroomAllocator recvAlloc;
    private final FixedRecvByteBufAllocator recvSize4;
    private final FixedRecvByteBufAllocator recvSize6;
    private final int maxPayload4;
    private final int maxPayload6;
    private final long idleNanos;
    private final long unansweredNanos;
    private final LogLimiter budgetLog = new LogLimiter();
    private final LogLimiter rateLog = new LogLimiter();
    private final LogLimiter socketLog = new LogLimiter();
    private final LogLimiter errorLog = new LogLimiter();

    private final HashMap<FlowKey, UdpFlow> table = new HashMap<>();
    private final IdentityHashMap<Channel, HashMap<InetSocketAddress, UdpFlow>> inbound = new IdentityHashMap<>();
    private final FlowKey probe = new FlowKey();
    /**
     * Outbound flows the host never answered, oldest first: when UDP's cap is
     * reached the oldest of them is closed for the new flow, so a guest
     * spraying datagrams at many ports cannot keep a DNS query out.
     */
    private final LinkedHashSet<UdpFlow> unanswered = new LinkedHashSet<>();
    private final LogLimiter evictLog = new LogLimiter();
    private final UdpDatagram udp = new UdpDatagram();
    private final List<UdpFlow> dirty = new ArrayList<>();
    private final Runnable flushTask = this::flushHost;
    private boolean flushScheduled;
    private int open;
    private int denied;
    private boolean closed;
    private ScheduledFuture<?> sweeper;

    private final Counters.Counter cBad;
    private final Counters.Counter cBadAddr;
    private final Counters.Counter cOpened;
    private final Counters.Counter cReject;
    private final Counters.Counter cDrop;
    private final Counters.Counter cBudget;
    private final Counters.Counter cRateLimited;
    private final Counters.Counter cErrors;
    private final Counters.Counter cEvicted;
    private final Counters.Counter cIdleUnanswered;
    private final Counters.Counter cOpenFailed;
    private final Counters.Counter cTooBig;
    private final Counters.Counter cRefused;
    private final Counters.Counter cHostError;
    private final Counters.Counter cTxFull;
    private final Counters.Counter cIdle;
    private final Counters.Counter cInUnmapped;
    private final Counters.Counter cInNoGuest;
    private final Counters.Counter cInConflict;
    private final Counters.Counter cInOpened;

    public UdpFlows(SluiceContext ctx, AddressMapper mapper, OutboundGate gate, FlowBudget budget,
                    UdpSettings settings) {
        this.ctx = ctx;
        this.mapper = mapper;
        this.gate = gate;
        this.budget = budget;
        this.settings = settings;
        this.frames = new GuestFrames(ctx);
        GuestConfig g = ctx.guest();
        int mtu = g != null && g.mtu() > 0 ? g.mtu() : GuestConfig.DEFAULT_MTU;
        this.maxPayload4 = Math.min(65535 - Ipv4Packet.MIN_HEADER_LEN - UdpDatagram.HEADER_LEN,
                mtu - Ipv4Packet.MIN_HEADER_LEN - UdpDatagram.HEADER_LEN);
        this.maxPayload6 = Math.min(65535 - UdpDatagram.HEADER_LEN,
                mtu - Ipv6Packet.HEADER_LEN - UdpDatagram.HEADER_LEN);
        // One byte more than fits: a read that fills the buffer was a datagram too big for the guest.
        this.recvSize4 = new FixedRecvByteBufAllocator(maxPayload4 + 1);
        this.recvSize6 = new FixedRecvByteBufAllocator(maxPayload6 + 1);
        this.recvAlloc = new HeadroomAllocator(ctx.alloc(), GuestFrames.MAX_HEADROOM);
        this.idleNanos = settings.idleTimeout().toNanos();
        this.unansweredNanos = settings.unansweredTimeout().toNanos();

        Counters c = ctx.counters();
        cBad = c.get("udp.bad");
        cBadAddr = c.get("udp.bad_addr");
        cOpened = c.get("udp.opened");
        cReject = c.get("udp.reject");
        cDrop = c.get("udp.drop");
        cBudget = c.get("udp.budget_full");
        cRateLimited = c.get("udp.rate_limited");
        cErrors = c.get("udp.errors");
        cEvicted = c.get("udp.evicted_unanswered");
        cIdleUnanswered = c.get("udp.unanswered_closed");
        cOpenFailed = c.get("udp.open_failed");
        cTooBig = c.get("udp.too_big");
        cRefused = c.get("udp.refused_by_host");
        cHostError = c.get("udp.host_error");
        cTxFull = c.get("udp.tx_full");
        cIdle = c.get("udp.idle_closed");
        cInUnmapped = c.get("udp.inbound_unmapped");
        cInNoGuest = c.get("udp.inbound_no_guest");
        cInConflict = c.get("udp.inbound_conflict");
        cInOpened = c.get("udp.inbound_opened");

        long sweepMs = Math.max(10, Math.min(10_000, settings.unansweredTimeout().toMillis() / 4));
        this.sweeper = ctx.loop().scheduleAtFixedRate(this::sweep, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    }

    /** Open flows (guest-initiated and inbound) holding a socket; refused flows remembered are not counted. */
    public int activeFlows() {
        return open;
    }

    /** Appends copies of at most {@code max} flows (refused ones remembered included) to {@code out}; on the loop. */
    public void snapshot(java.util.List<dev.sluice.core.flow.FlowInfo> out, int max) {
        long now = System.nanoTime();
        for (UdpFlow f : table.values()) {
            if (out.size() >= max) {
                return;
            }
            if (!f.closed) {
                out.add(f.info(now));
            }
        }
    }

    @Override
    public void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len) {
        if (closed) {
            return;
        }
        try {
            handle(frame, ipOff, ipv6, l4Off, l4Len);
        } catch (RuntimeException e) {
            // a bug must not reach the link's read loop: count, log (sampled), carry on
            cErrors.inc();
            if (errorLog.allow()) {
                log.warn("udp: error handling a guest datagram (counted in udp.errors; {} more since the last line)",
                        errorLog.suppressed(), e);
            }
        }
    }

    private void handle(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len) {
        if (!udp.wrap(frame, l4Off, l4Len)) {
            cBad.inc();
            return;
        }
        int sport = udp.srcPort();
        int dport = udp.dstPort();
        if (sport == 0 || dport == 0) {
            cBad.inc();
            return;
        }
        if (ipv6) {
            probe.setV6(frame.getLong(ipOff + Ipv6Packet.SRC), frame.getLong(ipOff + Ipv6Packet.SRC + 8), sport,
                    frame.getLong(ipOff + Ipv6Packet.DST), frame.getLong(ipOff + Ipv6Packet.DST + 8), dport);
        } else {
            probe.setV4(frame.getInt(ipOff + Ipv4Packet.SRC), sport, frame.getInt(ipOff + Ipv4Packet.DST), dport);
        }
        UdpFlow f = table.get(probe);
        if (f == null) {
            f = openOutbound(frame, ipOff, ipv6, sport, dport);
            if (f == null) {
                return;
            }
        }
        fromGuest(f, frame, ipOff, udp.payloadOffset(), udp.payloadLength());
    }

    private void fromGuest(UdpFlow f, ByteBuf frame, int ipOff, int payOff, int len) {
        f.lastActive = System.nanoTime();
        switch (f.state) {
            case REJECTED -> {
                cReject.inc();
                portUnreachable(frame, ipOff, f.v6);
                return;
            }
            case DROPPED -> {
                cDrop.inc();
                return;
            }
            default -> {
            }
        }
        Channel ch = f.ch;
        if (!ch.isWritable()) {
            // A datagram socket whose send buffer is full: UDP may drop, and must not queue without bound.
            cTxFull.inc();
            return;
        }
        ByteBuf out = ctx.alloc().directBuffer(len);
        out.writeBytes(frame, payOff, len);
        f.lastLen = len;
        f.bytesFromGuest += len;
        if (f.inbound()) {
            ch.write(new DatagramPacket(out, f.peer), ch.voidPromise());
        } else if (!ch.isActive()) {
            if (f.pending == null) {
                f.pending = new ArrayDeque<>();
            }
            if (f.pending.size() >= MAX_PENDING) {
                out.release();
                cTxFull.inc();
                return;
            }
            f.pending.add(out);
            return;
        } else {
            ch.write(out, ch.voidPromise());
        }
        if (!f.dirty) {
            f.dirty = true;
            dirty.add(f);
            if (!flushScheduled) {
                // Flush once after the current batch of guest frames: many datagrams, one sendmmsg.
                flushScheduled = true;
                ctx.loop().execute(flushTask);
            }
        }
    }

    private void flushHost() {
        flushScheduled = false;
        for (int i = 0; i < dirty.size(); i++) {
            UdpFlow f = dirty.get(i);
            f.dirty = false;
            if (!f.closed || f.inbound()) {
                f.ch.flush();
            }
        }
        dirty.clear();
    }

    private UdpFlow openOutbound(ByteBuf frame, int ipOff, boolean ipv6, int sport, int dport) {
        InetAddress src;
        InetAddress dst;
        if (ipv6) {
            long sHi = frame.getLong(ipOff + Ipv6Packet.SRC);
            long dHi = frame.getLong(ipOff + Ipv6Packet.DST);
            src = InetLiterals.fromHalves(sHi, frame.getLong(ipOff + Ipv6Packet.SRC + 8));
            dst = InetLiterals.fromHalves(dHi, frame.getLong(ipOff + Ipv6Packet.DST + 8));
            if (!(src instanceof Inet6Address) || !(dst instanceof Inet6Address)) {
                cBadAddr.inc(); // IPv4-mapped addresses on the wire
                return null;
            }
        } else {
            src = InetLiterals.fromInt(frame.getInt(ipOff + Ipv4Packet.SRC));
            dst = InetLiterals.fromInt(frame.getInt(ipOff + Ipv4Packet.DST));
        }
        if (!usableSource(src) || !usableDestination(dst)) {
            cBadAddr.inc();
            return null;
        }
        InetAddress mapped = mapper.outboundDestination(dst, dport, FlowProtocol.UDP);
        if (mapped == null || (mapped instanceof Inet6Address && mapped.isLinkLocalAddress())) {
            // A link-local destination has no meaning on the host's links without a scope.
            cBadAddr.inc();
            return null;
        }
        ctx.guestState().sawAddress(src);
        InetSocketAddress guestSrc = new InetSocketAddress(src, sport);
        InetSocketAddress asSent = new InetSocketAddress(dst, dport);
        InetSocketAddress target = new InetSocketAddress(mapped, dport);
        GateDecision d;
        try {
            d = gate.decide(FlowProtocol.UDP, guestSrc, asSent, target);
        } catch (RuntimeException e) {
            if (errorLog.allow()) {
                log.warn("UDP gate failed for {} -> {}: dropping the flow", guestSrc, asSent, e);
            }
            d = GateDecision.drop(null, "gate failed: " + e);
        }
        FlowKey key = probe.copy();
        if (d.action() != GateDecision.Action.ACCEPT) {
            boolean reject = d.action() == GateDecision.Action.REJECT;
            log.debug("UDP {} -> {} {} by {}: {}", guestSrc, asSent, reject ? "rejected" : "dropped", d.plugin(),
                    d.reason());
            UdpFlow f = newFlow(key, ipv6, frame, ipOff, sport, dport,
                    reject ? UdpFlow.State.REJECTED : UdpFlow.State.DROPPED, null);
            f.mapped = target;
            f.decision = d;
            if (denied < MAX_DENIED) {
                denied++;
                table.put(key, f);
            }
            return f;
        }
        long now = System.nanoTime();
        if (!budget.admitNew(now)) {
            cRateLimited.inc();
            if (rateLog.allow(now)) {
                log.warn("udp {} -> {}: over --flow-rate udp={} new flows/s, refused (counted in udp.rate_limited; "
                        + "{} more since the last line)", guestSrc, asSent, budget.rate(), rateLog.suppressed());
            }
            portUnreachable(frame, ipOff, ipv6);
            return null;
        }
        if (!budget.tryAcquire() && !(evictOldestUnanswered(now) && budget.tryAcquire())) {
            cBudget.inc();
            if (budgetLog.allow(now)) {
                log.warn("udp flow table full ({} flows): refusing {} -> {} (counted in udp.budget_full; "
                        + "{} more since the last line)", budget.max(), guestSrc, asSent, budgetLog.suppressed());
            }
            portUnreachable(frame, ipOff, ipv6);
            return null;
        }
        UdpFlow f = newFlow(key, ipv6, frame, ipOff, sport, dport, UdpFlow.State.OPEN, null);
        f.mapped = target;
        f.decision = d;
        f.holdsSlot = true;
        EpollDatagramChannel ch;
        try {
            // socket(2) fails with EMFILE/ENFILE when descriptors run out: refuse this flow, keep the slot free
            ch = new EpollDatagramChannel(
                    mapped instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET);
        } catch (RuntimeException e) {
            budget.release();
            cOpenFailed.inc();
            if (socketLog.allow(now)) {
                log.warn("udp {} -> {}: cannot open a host socket ({}), refused (counted in udp.open_failed; "
                        + "{} more since the last line)", guestSrc, asSent, rootMessage(e), socketLog.suppressed());
            }
            portUnreachable(frame, ipOff, ipv6);
            return null;
        }
        f.ch = ch;
        ch.config().setAllocator(recvAlloc).setRecvByteBufAllocator(ipv6 ? recvSize6 : recvSize4);
        ch.pipeline().addLast(f);
        try {
            if (d.bindInterface() != null) {
                settings.deviceBinder().bind(ch.fd().intValue(), d.bindInterface());
            }
        } catch (Exception e) {
            log.debug("UDP {} -> {}: {}", guestSrc, target, e.getMessage());
            ch.unsafe().closeForcibly();
            budget.release();
            cOpenFailed.inc();
            hostUnreachable(frame, ipOff, ipv6);
            return null;
        }
        table.put(key, f);
        unanswered.add(f);
        open++;
        cOpened.inc();
        log.debug("UDP {} -> {} opened to {}", guestSrc, asSent, target);
        ChannelFuture reg = ctx.loop().register(ch);
        InetSocketAddress local = d.bindSource() != null ? new InetSocketAddress(d.bindSource(), 0) : null;
        reg.addListener(r -> {
            if (!r.isSuccess()) {
                openFailed(f, r.cause());
                return;
            }
            ch.connect(target, local).addListener(c -> {
                if (!c.isSuccess()) {
                    openFailed(f, c.cause());
                } else if (f.pending != null) {
                    ByteBuf b;
                    while ((b = f.pending.poll()) != null) {
                        ch.write(b, ch.voidPromise());
                    }
                    ch.flush();
                }
            });
        });
        if (f.closed) {
            return null; // failed synchronously, the guest has its ICMP error
        }
        return f;
    }

    /** Closes the oldest flow the host never answered; false when there is none. */
    private boolean evictOldestUnanswered(long now) {
        Iterator<UdpFlow> it = unanswered.iterator();
        if (!it.hasNext()) {
            return false;
        }
        UdpFlow old = it.next();
        it.remove();
        cEvicted.inc();
        if (evictLog.allow(now)) {
            log.warn("udp flow table full ({} flows): closing the oldest unanswered flow, {}, for a new one "
                    + "(counted in udp.evicted_unanswered; {} more since the last line)", budget.max(), old,
                    evictLog.suppressed());
        }
        closeFlow(old);
        return true;
    }

    private UdpFlow newFlow(FlowKey key, boolean ipv6, ByteBuf frame, int ipOff, int sport, int dport,
                            UdpFlow.State state, InetSocketAddress peer) {
        if (ipv6) {
            return new UdpFlow(this, key, true, 0, frame.getLong(ipOff + Ipv6Packet.SRC),
                    frame.getLong(ipOff + Ipv6Packet.SRC + 8), sport, 0, frame.getLong(ipOff + Ipv6Packet.DST),
                    frame.getLong(ipOff + Ipv6Packet.DST + 8), dport, state, peer);
        }
        return new UdpFlow(this, key, false, frame.getInt(ipOff + Ipv4Packet.SRC), 0, 0, sport,
                frame.getInt(ipOff + Ipv4Packet.DST), 0, 0, dport, state, peer);
    }

    private void openFailed(UdpFlow f, Throwable cause) {
        cOpenFailed.inc();
        if (socketLog.allow()) {
            log.warn("{}: cannot open host socket: {} (counted in udp.open_failed; {} more since the last line)",
                    f, cause.toString(), socketLog.suppressed());
        }
        // The datagram is gone by now (or never left): a rebuilt quote is enough for the guest to find its socket.
        if (f.v6) {
            frames.udpPortUnreachableV6(f.guestHi, f.guestLo, f.guestPort, f.remoteHi, f.remoteLo, f.remotePort, 0);
        } else {
            frames.udpPortUnreachableV4(f.guest4, f.guestPort, f.remote4, f.remotePort, 0);
        }
        ctx.link().flush();
        closeFlow(f);
    }

    private void portUnreachable(ByteBuf frame, int ipOff, boolean ipv6) {
        frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_PORT_UNREACHABLE,
                GuestFrames.ICMP6_CODE_PORT_UNREACHABLE);
        ctx.link().flush();
    }

    private void hostUnreachable(ByteBuf frame, int ipOff, boolean ipv6) {
        frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_HOST_UNREACHABLE,
                GuestFrames.ICMP6_CODE_ADDR_UNREACHABLE);
        ctx.link().flush();
    }

    private boolean usableSource(InetAddress a) {
        return !a.isAnyLocalAddress() && !a.isMulticastAddress() && !a.isLoopbackAddress()
                && !isLimitedBroadcast(a);
    }

    private boolean usableDestination(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isMulticastAddress() || a.isLoopbackAddress() || isLimitedBroadcast(a)) {
            return false;
        }
        if (a instanceof Inet4Address a4) {
            int v = InetLiterals.toInt(a4);
            if ((v >>> 24) == 0 || (v >>> 28) == 0xf) {
                return false; // "this network" and class E
            }
            GuestConfig g = ctx.guest();
            if (g != null && g.addr4() != null && g.prefix4() > 0 && g.prefix4() < 31) {
                int mask = -1 << (32 - g.prefix4());
                int net = InetLiterals.toInt(g.addr4()) & mask;
                return v != (net | ~mask); // the guest subnet's directed broadcast
            }
        }
        return true;
    }

    private static boolean isLimitedBroadcast(InetAddress a) {
        return a instanceof Inet4Address a4 && InetLiterals.toInt(a4) == -1;
    }

    /**
     * A datagram from a host peer to a forwarded port ({@code fwd.PortForwarder}):
     * goes to the guest's port {@code guestPort} from the peer's guest-visible
     * address and real port, on a reverse flow through which the guest's
     * replies go back out of {@code listener} to the peer. Takes ownership of
     * {@code pkt}. Queued on the guest link; the caller flushes the link at the
     * end of its read batch.
     */
    public void deliverInbound(Channel listener, DatagramPacket pkt, int guestPort) {
        try {
            if (closed) {
                return;
            }
            InetSocketAddress peer = pkt.sender();
            HashMap<InetSocketAddress, UdpFlow> byPeer = inbound.get(listener);
            UdpFlow f = byPeer != null ? byPeer.get(peer) : null;
            if (f == null) {
                f = openInbound(listener, peer, guestPort);
                if (f == null) {
                    return;
                }
            }
            toGuest(f, pkt.content().retain());
        } finally {
            pkt.release();
        }
    }

    private UdpFlow openInbound(Channel listener, InetSocketAddress peer, int guestPort) {
        InetAddress visible = mapper.guestVisibleSource(InetLiterals.unmap(peer.getAddress()));
        if (visible == null) {
            cInUnmapped.inc();
            return null;
        }
        InetAddress guest = GuestAddresses.pick(ctx, visible);
        if (guest == null) {
            cInNoGuest.inc();
            return null;
        }
        boolean v6 = visible instanceof Inet6Address;
        UdpFlow f;
        if (v6) {
            Inet6Address g6 = (Inet6Address) guest;
            Inet6Address r6 = (Inet6Address) visible;
            FlowKey key = new FlowKey().setV6(InetLiterals.hi(g6), InetLiterals.lo(g6), guestPort,
                    InetLiterals.hi(r6), InetLiterals.lo(r6), peer.getPort());
            f = new UdpFlow(this, key, true, 0, InetLiterals.hi(g6), InetLiterals.lo(g6), guestPort, 0,
                    InetLiterals.hi(r6), InetLiterals.lo(r6), peer.getPort(), UdpFlow.State.OPEN, peer);
        } else {
            int g4 = InetLiterals.toInt((Inet4Address) guest);
            int r4 = InetLiterals.toInt((Inet4Address) visible);
            FlowKey key = new FlowKey().setV4(g4, guestPort, r4, peer.getPort());
            f = new UdpFlow(this, key, false, g4, 0, 0, guestPort, r4, 0, 0, peer.getPort(), UdpFlow.State.OPEN,
                    peer);
        }
        if (table.containsKey(f.key)) {
            // Another peer (or an outbound flow) already looks the same from inside the guest.
            cInConflict.inc();
            return null;
        }
        if (!budget.tryAcquire()) {
            cBudget.inc();
            if (budgetLog.allow()) {
                log.warn("udp flow table full ({} flows): dropping a datagram from {} to a forwarded port "
                        + "(counted in udp.budget_full; {} more since the last line)", budget.max(), peer,
                        budgetLog.suppressed());
            }
            return null;
        }
        f.holdsSlot = true;
        f.ch = listener;
        f.lastActive = System.nanoTime();
        table.put(f.key, f);
        inbound.computeIfAbsent(listener, k -> new HashMap<>()).put(peer, f);
        open++;
        cInOpened.inc();
        log.debug("UDP inbound {} -> guest {}:{} via {}", peer, guest.getHostAddress(), guestPort, listener);
        return f;
    }

    /** Forgets the inbound flows of a forwarded port's listener that is going away. */
    public void listenerClosed(Channel listener) {
        HashMap<InetSocketAddress, UdpFlow> byPeer = inbound.remove(listener);
        if (byPeer != null) {
            for (UdpFlow f : new ArrayList<>(byPeer.values())) {
                closeFlow(f);
            }
        }
    }

    /** One datagram from the host side of {@code f} to the guest; takes ownership of {@code c}. */
    void toGuest(UdpFlow f, ByteBuf c) {
        int n = c.readableBytes();
        if (f.closed || n > (f.v6 ? maxPayload6 : maxPayload4)) {
            if (!f.closed) {
                cTooBig.inc();
            }
            c.release();
            return;
        }
        f.lastActive = System.nanoTime();
        if (!f.answered) {
            f.answered = true;
            unanswered.remove(f);
        }
        f.bytesFromHost += n;
        int hdr = f.v6 ? HDR_V6 : HDR_V4;
        ByteBuf b;
        int frameOff;
        if (c.readerIndex() == recvAlloc.headroom()) {
            b = c; // read behind our headroom: headers go in front, no copy
            frameOff = c.readerIndex() - hdr;
        } else {
            b = ctx.alloc().directBuffer(hdr + n);
            b.setBytes(hdr, c, c.readerIndex(), n);
            c.release();
            frameOff = 0;
        }
        if (f.v6) {
            frames.udpV6(b, frameOff, f.remoteHi, f.remoteLo, f.remotePort, f.guestHi, f.guestLo, f.guestPort, n);
        } else {
            frames.udpV4(b, frameOff, f.remote4, f.remotePort, f.guest4, f.guestPort, n);
        }
        b.setIndex(frameOff, frameOff + hdr + n);
        ctx.link().send(b);
    }

    void flushGuest() {
        ctx.link().flush();
    }

    /** The connected socket got ECONNREFUSED: an ICMP port unreachable reached the host. */
    void hostRefused(UdpFlow f) {
        cRefused.inc();
        if (f.closed) {
            return;
        }
        if (f.v6) {
            frames.udpPortUnreachableV6(f.guestHi, f.guestLo, f.guestPort, f.remoteHi, f.remoteLo, f.remotePort,
                    f.lastLen);
        } else {
            frames.udpPortUnreachableV4(f.guest4, f.guestPort, f.remote4, f.remotePort, f.lastLen);
        }
        ctx.link().flush();
    }

    void hostError(UdpFlow f, Throwable cause) {
        cHostError.inc();
        log.debug("{}: {}", f, cause.toString());
    }

    void channelGone(UdpFlow f) {
        if (!f.closed) {
            closeFlow(f);
        }
    }

    private void closeFlow(UdpFlow f) {
        table.remove(f.key, f);
        release(f);
    }

    private void release(UdpFlow f) {
        if (f.closed) {
            return;
        }
        f.closed = true;
        if (f.state != UdpFlow.State.OPEN) {
            denied--;
            return;
        }
        unanswered.remove(f);
        if (f.inbound()) {
            HashMap<InetSocketAddress, UdpFlow> byPeer = inbound.get(f.ch);
            if (byPeer != null) {
                byPeer.remove(f.peer, f);
            }
        } else if (f.ch != null) {
            f.ch.close();
        }
        if (f.pending != null) {
            f.pending.forEach(ByteBuf::release);
            f.pending = null;
        }
        if (f.holdsSlot) {
            f.holdsSlot = false;
            budget.release();
        }
        open--;
        log.debug("{} closed", f);
    }

    private void sweep() {
        long now = System.nanoTime();
        Iterator<UdpFlow> it = table.values().iterator();
        while (it.hasNext()) {
            UdpFlow f = it.next();
            // A flow the host never answered holds its socket only briefly; inbound flows were answered by definition.
            boolean answered = f.answered || f.inbound() || f.state != UdpFlow.State.OPEN;
            if (now - f.lastActive >= (answered ? idleNanos : unansweredNanos)) {
                it.remove();
                if (f.state == UdpFlow.State.OPEN) {
                    (answered ? cIdle : cIdleUnanswered).inc();
                }
                release(f);
            }
        }
    }

    /** The guest went away: every flow towards it is closed (forwarded listeners stay). */
    public void onLinkDown() {
        closeAll();
    }

    private void closeAll() {
        List<UdpFlow> all = new ArrayList<>(table.values());
        table.clear();
        for (UdpFlow f : all) {
            release(f);
        }
        inbound.values().forEach(m -> m.values().forEach(this::release));
        inbound.clear();
    }

    /** Closes every flow and stops the idle timer. Event loop only. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
        closeAll();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** For tests: the flows' table size including remembered refusals. */
    int tableSize() {
        return table.size();
    }

    Map<FlowKey, UdpFlow> table() {
        return table;
    }
}
