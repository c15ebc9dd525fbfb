package dev.sluice.core.flow.icmp;

import dev.sluice.core.Counters;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowKey;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.GuestFrames;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ICMP and ICMPv6 echo translation (passt's {@code icmp.c} role) through
 * unprivileged ping sockets. A flow per (guest address, destination as sent,
 * echo identifier); the gate is asked once per flow. The kernel gives each
 * flow's socket its own identifier and rewrites the requests with it; replies
 * carry it and are given back the guest's. Replies reach the guest from the
 * address it pinged, never the mapped one (echo to the gateway goes to
 * loopback through the mapper). REJECT answers with destination unreachable,
 * administratively prohibited; flows idle for {@link IcmpSettings#idleTimeout()}
 * are closed.
 *
 * <p>Ping sockets are registered directly on the event loop's epoll (an
 * {@code EpollIoHandle} per socket): no channel, no extra thread. Echo
 * requests and replies are copied through one direct scratch buffer: echo is
 * not a bulk path.
 *
 * <p>Deliberately not here: other ICMP types from the guest (errors, NDP,
 * router solicitations: counted and ignored here; NDP belongs to the L2
 * services), errors from the host's ping sockets (not reported without
 * IP_RECVERR).
 */
public final class IcmpFlows {
    private static final Logger log = LoggerFactory.getLogger(IcmpFlows.class);
    private static final int MAX_DENIED = 4096;
    private static final int MAX_READS_PER_WAKEUP = 64;
    private static final int ICMP6_ECHO_REQUEST = 128;
    private static final int ICMP6_ECHO_REPLY = 129;

    private final SluiceContext ctx;
    private final AddressMapper mapper;
    private final OutboundGate gate;
    private final FlowBudget budget;
    private final IcmpSettings settings;
    private final PingSockets sockets;
    private final GuestFrames frames;
    private final long idleNanos;
    private final ByteBuf scratch = Unpooled.directBuffer(65536, 65536);
    private final byte[] src4 = new byte[4];
    private final byte[] src6 = new byte[16];
    private final HashMap<FlowKey, IcmpFlow> table = new HashMap<>();
    private final FlowKey probe = new FlowKey();
    private final Icmpv4Message icmp = new Icmpv4Message();
    private final L4Handler v4 = (frame, ipOff, ipv6, l4Off, l4Len) -> onEcho(frame, ipOff, false, l4Off, l4Len);
    private final L4Handler v6 = (frame, ipOff, ipv6, l4Off, l4Len) -> onEcho(frame, ipOff, true, l4Off, l4Len);
    private ScheduledFuture<?> sweeper;
    private int open;
    private int denied;
    private boolean closed;
    private boolean warnedOpen;

    private final Counters.Counter cBad;
    private final Counters.Counter cIgnored;
    private final Counters.Counter cBadAddr;
    private final Counters.Counter cOpened;
    private final Counters.Counter cReject;
    private final Counters.Counter cDrop;
    private final Counters.Counter cBudget;
    private final Counters.Counter cRateLimited;
    private final LogLimiter budgetLog = new LogLimiter();
    private final LogLimiter rateLog = new LogLimiter();
    private final LogLimiter socketLog = new LogLimiter();
    private final LogLimiter gateLog = new LogLimiter();
    private final Counters.Counter cOpenFailed;
    private final Counters.Counter cSendFailed;
    private final Counters.Counter cTxFull;
    private final Counters.Counter cForeign;
    private final Counters.Counter cRecvFailed;
    private final Counters.Counter cIdle;

    public IcmpFlows(SluiceContext ctx, AddressMapper mapper, OutboundGate gate, FlowBudget budget,
                     IcmpSettings settings) {
        this.ctx = ctx;
        this.mapper = mapper;
        this.gate = gate;
        this.budget = budget;
        this.settings = settings;
        this.sockets = settings.sockets();
        this.frames = new GuestFrames(ctx);
        this.idleNanos = settings.idleTimeout().toNanos();
        Counters c = ctx.counters();
        cBad = c.get("icmp.bad");
        cIgnored = c.get("icmp.ignored");
        cBadAddr = c.get("icmp.bad_addr");
        cOpened = c.get("icmp.opened");
        cReject = c.get("icmp.reject");
        cDrop = c.get("icmp.drop");
        cBudget = c.get("icmp.budget_full");
        cRateLimited = c.get("icmp.rate_limited");
        cOpenFailed = c.get("icmp.open_failed");
        cSendFailed = c.get("icmp.send_failed");
        cTxFull = c.get("icmp.tx_full");
        cForeign = c.get("icmp.foreign_reply");
        cRecvFailed = c.get("icmp.recv_failed");
        cIdle = c.get("icmp.idle_closed");
        long sweepMs = Math.max(10, Math.min(10_000, settings.idleTimeout().toMillis() / 4));
        this.sweeper = ctx.loop().scheduleAtFixedRate(this::sweep, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    }

    /** The handler for IPv4 ICMP (protocol 1) packets from the guest. */
    public L4Handler handlerV4() {
        return v4;
    }

    /** The handler for ICMPv6 packets from the guest that are not NDP (echo requests; anything else is ignored). */
    public L4Handler handlerV6() {
        return v6;
    }

    /** Echo flows holding a ping socket. */
    public int activeFlows() {
        return open;
    }

    /** Appends copies of at most {@code max} echo flows (refused ones remembered included) to {@code out}; on the loop. */
    public void snapshot(java.util.List<dev.sluice.core.flow.FlowInfo> out, int max) {
        long now = System.nanoTime();
        for (IcmpFlow f : table.values()) {
            if (out.size() >= max) {
                return;
            }
            if (!f.closed) {
                out.add(f.info(now));
            }
        }
    }

    private void onEcho(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len) {
        if (closed) {
            return;
        }
        int id;
        if (!ipv6) {
            if (!icmp.wrap(frame, l4Off, l4Len)) {
                cBad.inc();
                return;
            }
            if (icmp.type() != Icmpv4Message.TYPE_ECHO_REQUEST) {
                cIgnored.inc();
                return;
            }
            if (!icmp.verifyChecksum()) {
                cBad.inc();
                return;
            }
            id = icmp.echoId();
            probe.setV4(frame.getInt(ipOff + Ipv4Packet.SRC), id, frame.getInt(ipOff + Ipv4Packet.DST), 0);
        } else {
            if (l4Len < 8 || frame.capacity() < l4Off + l4Len) {
                cBad.inc();
                return;
            }
            if (frame.getUnsignedByte(l4Off) != ICMP6_ECHO_REQUEST) {
                cIgnored.inc();
                return;
            }
            long sum = Checksum.pseudoV6(frame, ipOff, Ipv6Packet.NH_ICMPV6, l4Len);
            if (Checksum.finish(Checksum.add(sum, frame, l4Off, l4Len)) != 0) {
                cBad.inc();
                return;
            }
            id = frame.getUnsignedShort(l4Off + 4);
            probe.setV6(frame.getLong(ipOff + Ipv6Packet.SRC), frame.getLong(ipOff + Ipv6Packet.SRC + 8), id,
                    frame.getLong(ipOff + Ipv6Packet.DST), frame.getLong(ipOff + Ipv6Packet.DST + 8), 0);
        }
        IcmpFlow f = table.get(probe);
        if (f == null) {
            f = openFlow(frame, ipOff, ipv6, id);
            if (f == null) {
                return;
            }
        }
        f.lastActive = System.nanoTime();
        switch (f.state) {
            case REJECTED -> {
                cReject.inc();
                prohibited(frame, ipOff, ipv6);
                return;
            }
            case DROPPED -> {
                cDrop.inc();
                return;
            }
            default -> {
            }
        }
        int len = Math.min(l4Len, scratch.capacity());
        scratch.setBytes(0, frame, l4Off, len);
        try {
            if (sockets.sendTo(f.fd, scratch, 0, len, f.target) < 0) {
                cTxFull.inc();
            } else {
                f.bytesFromGuest += len;
            }
        } catch (IOException e) {
            // ENETUNREACH, EHOSTUNREACH, EPERM...: what a router would say
            cSendFailed.inc();
            log.debug("{}: {}", f, e.getMessage());
            frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_HOST_UNREACHABLE,
                    GuestFrames.ICMP6_CODE_ADDR_UNREACHABLE);
            ctx.link().flush();
        }
    }

    private IcmpFlow openFlow(ByteBuf frame, int ipOff, boolean ipv6, int id) {
        InetAddress src;
        InetAddress dst;
        if (ipv6) {
            src = InetLiterals.fromHalves(frame.getLong(ipOff + Ipv6Packet.SRC),
                    frame.getLong(ipOff + Ipv6Packet.SRC + 8));
            dst = InetLiterals.fromHalves(frame.getLong(ipOff + Ipv6Packet.DST),
                    frame.getLong(ipOff + Ipv6Packet.DST + 8));
            if (!(src instanceof Inet6Address) || !(dst instanceof Inet6Address)) {
                cBadAddr.inc();
                return null;
            }
        } else {
            src = InetLiterals.fromInt(frame.getInt(ipOff + Ipv4Packet.SRC));
            dst = InetLiterals.fromInt(frame.getInt(ipOff + Ipv4Packet.DST));
        }
        if (!usable(src) || !usable(dst)) {
            cBadAddr.inc();
            return null;
        }
        FlowProtocol proto = ipv6 ? FlowProtocol.ICMPV6 : FlowProtocol.ICMP;
        InetAddress mapped = mapper.outboundDestination(dst, 0, proto);
        if (mapped == null || (mapped instanceof Inet6Address && mapped.isLinkLocalAddress())) {
            cBadAddr.inc();
            return null;
        }
        ctx.guestState().sawAddress(src);
        InetSocketAddress guestSrc = new InetSocketAddress(src, id);
        InetSocketAddress asSent = new InetSocketAddress(dst, 0);
        GateDecision d;
        try {
            d = gate.decide(proto, guestSrc, asSent, new InetSocketAddress(mapped, 0));
        } catch (RuntimeException e) {
            if (gateLog.allow()) {
                log.warn("ICMP gate failed for {} -> {}: dropping the flow", guestSrc, asSent, e);
            }
            d = GateDecision.drop(null, "gate failed: " + e);
        }
        FlowKey key = probe.copy();
        if (d.action() != GateDecision.Action.ACCEPT) {
            boolean reject = d.action() == GateDecision.Action.REJECT;
            log.debug("echo {} id {} -> {} {} by {}: {}", src.getHostAddress(), id, dst.getHostAddress(),
                    reject ? "rejected" : "dropped", d.plugin(), d.reason());
            IcmpFlow f = newFlow(key, ipv6, frame, ipOff, id, reject ? IcmpFlow.State.REJECTED : IcmpFlow.State.DROPPED);
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
                log.warn("echo {} -> {}: over --flow-rate icmp={} new flows/s, refused (counted in icmp.rate_limited; "
                        + "{} more since the last line)", src.getHostAddress(), dst.getHostAddress(), budget.rate(),
                        rateLog.suppressed());
            }
            frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_HOST_UNREACHABLE,
                    GuestFrames.ICMP6_CODE_ADDR_UNREACHABLE);
            ctx.link().flush();
            return null;
        }
        if (!budget.tryAcquire()) {
            cBudget.inc();
            if (budgetLog.allow(now)) {
                log.warn("icmp flow table full ({} flows): refusing echo {} -> {} (counted in icmp.budget_full; "
                        + "{} more since the last line)", budget.max(), src.getHostAddress(), dst.getHostAddress(),
                        budgetLog.suppressed());
            }
            frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_HOST_UNREACHABLE,
                    GuestFrames.ICMP6_CODE_ADDR_UNREACHABLE);
            ctx.link().flush();
            return null;
        }
        IcmpFlow f = newFlow(key, ipv6, frame, ipOff, id, IcmpFlow.State.OPEN);
        f.decision = d;
        f.holdsSlot = true;
        f.target = mapped.getAddress();
        try {
            f.fd = sockets.open(ipv6);
            f.fdObject = new FileDescriptor(f.fd);
            if (d.bindInterface() != null) {
                settings.deviceBinder().bind(f.fd, d.bindInterface());
            }
            // The kernel picks the identifier (bind or first send): one nobody else in the namespace
            // holds. Binding the guest's own would not be exclusive (two sockets may share one, and the
            // newest then gets all replies), so replies are translated back instead.
            if (d.bindSource() != null) {
                sockets.bind(f.fd, ipv6, d.bindSource(), 0);
            }
        } catch (IOException | RuntimeException e) {
            cOpenFailed.inc();
            if (!warnedOpen) {
                warnedOpen = true;
                socketLog.allow(now);
                log.warn("cannot open a ping socket ({}): echo requests are refused; does "
                        + "net.ipv4.ping_group_range include our group?", e.getMessage());
            } else if (socketLog.allow(now)) {
                log.warn("echo {} -> {}: cannot open a ping socket ({}), refused (counted in icmp.open_failed; "
                        + "{} more since the last line)", src.getHostAddress(), dst.getHostAddress(), e.getMessage(),
                        socketLog.suppressed());
            }
            closeFd(f);
            budget.release();
            frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_HOST_UNREACHABLE,
                    GuestFrames.ICMP6_CODE_ADDR_UNREACHABLE);
            ctx.link().flush();
            return null;
        }
        table.put(key, f);
        open++;
        cOpened.inc();
        log.debug("{} opened to {}", f, mapped.getHostAddress());
        // On the loop the registration completes at once; the listener covers any other case.
        Future<IoRegistration> reg = ctx.loop().register(f);
        if (reg.isDone()) {
            registered(f, reg);
        } else {
            reg.addListener(r -> registered(f, reg));
        }
        return f.closed ? null : f;
    }

    private void registered(IcmpFlow f, Future<IoRegistration> reg) {
        if (!reg.isSuccess()) {
            log.debug("{}: cannot register ping socket: {}", f, reg.cause().toString());
            cOpenFailed.inc();
            closeFlow(f);
            return;
        }
        f.registration = reg.getNow();
        if (f.closed) {
            f.registration.cancel();
            return;
        }
        f.registration.submit(EpollIoOps.EPOLLIN);
    }

    private IcmpFlow newFlow(FlowKey key, boolean ipv6, ByteBuf frame, int ipOff, int id, IcmpFlow.State state) {
        if (ipv6) {
            return new IcmpFlow(this, key, true, 0, frame.getLong(ipOff + Ipv6Packet.SRC),
                    frame.getLong(ipOff + Ipv6Packet.SRC + 8), id, 0, frame.getLong(ipOff + Ipv6Packet.DST),
                    frame.getLong(ipOff + Ipv6Packet.DST + 8), state);
        }
        return new IcmpFlow(this, key, false, frame.getInt(ipOff + Ipv4Packet.SRC), 0, 0, id,
                frame.getInt(ipOff + Ipv4Packet.DST), 0, 0, state);
    }

    private static boolean usable(InetAddress a) {
        return !a.isAnyLocalAddress() && !a.isMulticastAddress() && !a.isLoopbackAddress()
                && !(a instanceof Inet4Address a4 && InetLiterals.toInt(a4) == -1);
    }

    private void prohibited(ByteBuf frame, int ipOff, boolean ipv6) {
        frames.unreachable(frame, ipOff, ipv6, Icmpv4Message.CODE_ADMIN_PROHIBITED,
                GuestFrames.ICMP6_CODE_ADMIN_PROHIBITED);
        ctx.link().flush();
    }

    /** Epoll said the ping socket is readable: forward every pending reply to the guest. */
    void readReplies(IcmpFlow f) {
        if (f.closed) {
            return;
        }
        byte[] src = f.v6 ? src6 : src4;
        int sent = 0;
        for (int i = 0; i < MAX_READS_PER_WAKEUP; i++) {
            int n;
            try {
                n = sockets.recvFrom(f.fd, scratch, 0, scratch.capacity(), src);
            } catch (IOException e) {
                cRecvFailed.inc();
                log.debug("{}: {}", f, e.getMessage());
                break;
            }
            if (n < 0) {
                break;
            }
            if (n < Icmpv4Message.HEADER_LEN
                    || scratch.getUnsignedByte(0) != (f.v6 ? ICMP6_ECHO_REPLY : Icmpv4Message.TYPE_ECHO_REPLY)) {
                cBad.inc();
                continue;
            }
            // Ping sockets match replies by identifier only: accept them from the pinged address alone.
            if (!Arrays.equals(src, f.target)) {
                cForeign.inc();
                continue;
            }
            f.bytesFromHost += n;
            toGuest(f, n);
            sent++;
        }
        if (sent > 0) {
            f.lastActive = System.nanoTime();
            ctx.link().flush();
        }
    }

    private void toGuest(IcmpFlow f, int n) {
        if (f.v6) {
            ByteBuf b = ctx.alloc().directBuffer(GuestFrames.L4_V6 + n);
            b.setBytes(GuestFrames.L4_V6, scratch, 0, n);
            b.setShort(GuestFrames.L4_V6 + 4, f.guestId);
            GuestFrames.icmpv6Checksum(b, GuestFrames.L4_V6, n, f.remoteHi, f.remoteLo, f.guestHi, f.guestLo);
            frames.headersV6(b, 0, f.remoteHi, f.remoteLo, f.guestHi, f.guestLo, Ipv6Packet.NH_ICMPV6, n);
            b.writerIndex(GuestFrames.L4_V6 + n);
            ctx.link().send(b);
        } else {
            ByteBuf b = ctx.alloc().directBuffer(GuestFrames.L4_V4 + n);
            b.setBytes(GuestFrames.L4_V4, scratch, 0, n);
            icmp.wrap(b, GuestFrames.L4_V4, n);
            icmp.setEchoId(f.guestId);
            icmp.updateChecksum();
            frames.headersV4(b, 0, f.remote4, f.guest4, Ipv4Packet.PROTO_ICMP, n);
            b.writerIndex(GuestFrames.L4_V4 + n);
            ctx.link().send(b);
        }
    }

    /** Closes the flow's socket once, whoever asks first (the flow's end or the loop's shutdown). */
    void closeFd(IcmpFlow f) {
        if (f.fd >= 0 && !f.fdClosed) {
            f.fdClosed = true;
            sockets.close(f.fd);
        }
    }

    private void closeFlow(IcmpFlow f) {
        table.remove(f.key, f);
        release(f);
    }

    private void release(IcmpFlow f) {
        if (f.closed) {
            return;
        }
        f.closed = true;
        if (f.state != IcmpFlow.State.OPEN) {
            denied--;
            return;
        }
        if (f.registration != null && f.registration.isValid()) {
            f.registration.cancel(); // out of epoll before the number can be reused
        }
        closeFd(f);
        if (f.holdsSlot) {
            f.holdsSlot = false;
            budget.release();
        }
        open--;
        log.debug("{} closed", f);
    }

    private void sweep() {
        long now = System.nanoTime();
        Iterator<IcmpFlow> it = table.values().iterator();
        while (it.hasNext()) {
            IcmpFlow f = it.next();
            if (now - f.lastActive >= idleNanos) {
                it.remove();
                if (f.state == IcmpFlow.State.OPEN) {
                    cIdle.inc();
                }
                release(f);
            }
        }
    }

    /** The guest went away: every echo flow is closed. */
    public void onLinkDown() {
        List<IcmpFlow> all = new ArrayList<>(table.values());
        table.clear();
        all.forEach(this::release);
    }

    /** Closes every flow, stops the idle timer and frees the scratch buffer. Event loop only. */
    public void close() {
        if (closed) {
            return;
        }
        onLinkDown();
        closed = true;
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
        scratch.release();
    }
}
