package dev.sluice.core.flow.icmp;

import dev.sluice.core.testutil.Prerequisites;

import static dev.sluice.core.flow.FlowTestKit.GUEST4;
import static dev.sluice.core.flow.FlowTestKit.GUEST6;
import static dev.sluice.core.flow.FlowTestKit.GW4;
import static dev.sluice.core.flow.FlowTestKit.GW6;
import static dev.sluice.core.flow.FlowTestKit.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.flow.FlowTestKit.CollectingLink;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.testutil.TestNetns;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IcmpFlows with real ping sockets. Ping sockets need ping_group_range to
 * admit us, which is set inside a namespace created for this class only;
 * the event loop thread enters that namespace before anything else runs on
 * it, so every ping socket lives there. Skipped when not root.
 */
class IcmpFlowsIT {
    static TestNetns ns;
    static MultiThreadIoEventLoopGroup group;
    static IoEventLoop loop;

    CollectingLink link;
    SluiceContext ctx;
    RecordingGate gate;
    FlowBudget budget;
    IcmpFlows icmp;

    static final class RecordingGate implements OutboundGate {
        volatile GateDecision answer = GateDecision.ACCEPT;
        final List<Object[]> calls = new CopyOnWriteArrayList<>();

        @Override
        public GateDecision decide(FlowProtocol proto, InetSocketAddress guestSrc, InetSocketAddress dstAsSent,
                                   InetSocketAddress dstMapped) {
            calls.add(new Object[] {proto, guestSrc, dstAsSent, dstMapped});
            return answer;
        }
    }

    @BeforeAll
    static void namespace() throws Exception {
        Prerequisites.require(TestNetns.available(), "needs root and iproute2");
        ns = TestNetns.create("sluice-icmp");
        ns.sysctl("net.ipv4.ping_group_range", "0 2147483647");
        // a second loopback address, so two destinations can map to two real hosts
        ns.exec("ip", "addr", "add", "127.0.0.2/8", "dev", "lo");
        group = FlowTestKit.newGroup();
        loop = (IoEventLoop) group.next();
        onLoop(loop, () -> ns.enter());
    }

    @AfterAll
    static void cleanup() throws Exception {
        try {
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @BeforeEach
    void setUp() {
        link = new CollectingLink();
        ctx = FlowTestKit.context(loop, link);
        gate = new RecordingGate();
        budget = new FlowBudget(100);
        icmp = newFlows(IcmpSettings.DEFAULT, FlowTestKit.mapper());
    }

    IcmpFlows newFlows(IcmpSettings s, AddressMapper m) {
        return onLoop(loop, () -> new IcmpFlows(ctx, m, gate, budget, s));
    }

    @AfterEach
    void tearDown() {
        if (icmp != null) {
            onLoop(loop, () -> icmp.close());
        }
    }

    static void send(L4Handler h, ByteBuf frame) {
        FlowTestKit.deliver(loop, h, frame);
    }

    /** Checks an echo reply frame for the guest; returns its data. */
    static byte[] echoReply(byte[] f, InetAddress from, InetAddress to, int id, int seq) {
        assertTrue(FlowTestKit.checksumsValid(f), "checksums");
        ByteBuf b = Unpooled.wrappedBuffer(f);
        int l4;
        int len;
        if (from instanceof java.net.Inet4Address) {
            Ipv4Packet ip = new Ipv4Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            assertEquals(Ipv4Packet.PROTO_ICMP, ip.protocol());
            assertEquals(from, InetLiterals.fromInt(ip.src()));
            assertEquals(to, InetLiterals.fromInt(ip.dst()));
            l4 = ip.payloadOffset();
            len = ip.payloadLength();
            assertEquals(Icmpv4Message.TYPE_ECHO_REPLY, b.getUnsignedByte(l4));
        } else {
            Ipv6Packet ip = new Ipv6Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            assertEquals(Ipv6Packet.NH_ICMPV6, ip.upperLayer());
            assertEquals(from, InetLiterals.fromHalves(ip.srcHi(), ip.srcLo()));
            assertEquals(to, InetLiterals.fromHalves(ip.dstHi(), ip.dstLo()));
            l4 = ip.upperLayerOffset();
            len = ip.upperLayerLength();
            assertEquals(129, b.getUnsignedByte(l4));
        }
        assertEquals(id, b.getUnsignedShort(l4 + 4), "the guest's identifier");
        assertEquals(seq, b.getUnsignedShort(l4 + 6));
        return ByteBufUtil.getBytes(b, l4 + 8, len - 8);
    }

    static byte[] data(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void groupRangeIsReadInTheNamespace() throws Exception {
        assertTrue(onLoop(loop, () -> HostPingSockets.INSTANCE.groupRangeAdmits(0)));
        // The namespace's own value is read (the machine's may be "1 0"): narrow it and ask again.
        ns.sysctl("net.ipv4.ping_group_range", "100 200");
        try {
            assertFalse(onLoop(loop, () -> HostPingSockets.INSTANCE.groupRangeAdmits(0)));
            assertTrue(onLoop(loop, () -> HostPingSockets.INSTANCE.groupRangeAdmits(150)));
            assertFalse(onLoop(loop, () -> HostPingSockets.INSTANCE.groupRangeAdmits(201)));
        } finally {
            ns.sysctl("net.ipv4.ping_group_range", "0 2147483647");
        }
    }

    @Test
    void echoV4ToTheGatewayIsAnsweredByLoopback() {
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x1234, 1, data("sluice-ping-v4")));
        assertArrayEquals(data("sluice-ping-v4"), echoReply(link.take(), GW4, GUEST4, 0x1234, 1));
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x1234, 2, data("again")));
        assertArrayEquals(data("again"), echoReply(link.take(), GW4, GUEST4, 0x1234, 2));
        assertEquals(1, gate.calls.size(), "gate once per (guest, destination, id)");
        Object[] c = gate.calls.get(0);
        assertEquals(FlowProtocol.ICMP, c[0]);
        assertEquals(new InetSocketAddress(GUEST4, 0x1234), c[1]);
        assertEquals(new InetSocketAddress(GW4, 0), c[2]);
        assertEquals(new InetSocketAddress(FlowTestKit.LO4, 0), c[3]);
        assertEquals(1, onLoop(loop, () -> icmp.activeFlows()));
        assertEquals(1, budget.used());
    }

    @Test
    void echoV6ToTheGatewayIsAnsweredByLoopback() {
        send(icmp.handlerV6(), FlowTestKit.echo(GUEST6, GW6, 0x4321, 7, data("sluice-ping-v6")));
        assertArrayEquals(data("sluice-ping-v6"), echoReply(link.take(), GW6, GUEST6, 0x4321, 7));
        assertEquals(FlowProtocol.ICMPV6, gate.calls.get(0)[0]);
    }

    @Test
    void aSocketThatCannotBeOpenedIsAHostUnreachableAndNoSlot() {
        onLoop(loop, () -> icmp.close());
        PingSockets real = HostPingSockets.INSTANCE;
        PingSockets failing = new PingSockets() {
            @Override
            public int open(boolean ipv6) throws java.io.IOException {
                throw new java.io.IOException("socket: EMFILE (Too many open files)");
            }

            @Override
            public boolean bind(int fd, boolean ipv6, InetAddress local, int id) throws java.io.IOException {
                return real.bind(fd, ipv6, local, id);
            }

            @Override
            public int sendTo(int fd, ByteBuf buf, int index, int len, byte[] dst) throws java.io.IOException {
                return real.sendTo(fd, buf, index, len, dst);
            }

            @Override
            public int recvFrom(int fd, ByteBuf buf, int index, int cap, byte[] src) throws java.io.IOException {
                return real.recvFrom(fd, buf, index, cap, src);
            }

            @Override
            public void close(int fd) {
                real.close(fd);
            }

            @Override
            public boolean groupRangeAdmits(int gid) {
                return real.groupRangeAdmits(gid);
            }
        };
        icmp = newFlows(new IcmpSettings(IcmpSettings.DEFAULT_IDLE_TIMEOUT, failing,
                dev.sluice.core.flow.DeviceBinder.HOST), FlowTestKit.mapper());
        for (int i = 0; i < 3; i++) {
            send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x2000 + i, 1, data("x")));
            ByteBuf b = Unpooled.wrappedBuffer(link.take());
            assertEquals(Ipv4Packet.PROTO_ICMP, b.getUnsignedByte(14 + Ipv4Packet.PROTOCOL));
            assertEquals(Icmpv4Message.TYPE_DEST_UNREACHABLE, b.getUnsignedByte(34));
            assertEquals(Icmpv4Message.CODE_HOST_UNREACHABLE, b.getUnsignedByte(35));
        }
        assertEquals(3L, ctx.counters().snapshot().get("icmp.open_failed"));
        assertEquals(0, budget.used(), "every slot returned");
        assertEquals(0, onLoop(loop, () -> icmp.activeFlows()));
    }

    @Test
    void overTheRateNewEchoFlowsAreRefused() {
        onLoop(loop, () -> icmp.close());
        budget = new FlowBudget(100, 2);
        icmp = newFlows(IcmpSettings.DEFAULT, FlowTestKit.mapper());
        for (int i = 0; i < 6; i++) {
            send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x3000 + i, 1, data("r")));
            link.take(); // an echo reply or a host unreachable
        }
        long limited = ctx.counters().snapshot().getOrDefault("icmp.rate_limited", 0L);
        assertTrue(limited >= 3, "at most the burst of 2 (and a refill) opened: " + limited);
        assertEquals(6 - limited, (long) onLoop(loop, () -> icmp.activeFlows()));
        assertEquals(onLoop(loop, () -> icmp.activeFlows()), budget.used());
    }

    /** Records the identifiers the kernel put in the replies, before IcmpFlows translates them back. */
    static final class RecordingSockets implements PingSockets {
        final PingSockets real = HostPingSockets.INSTANCE;
        final List<Integer> kernelIds = new CopyOnWriteArrayList<>();

        @Override
        public int open(boolean ipv6) throws java.io.IOException {
            return real.open(ipv6);
        }

        @Override
        public boolean bind(int fd, boolean ipv6, InetAddress local, int id) throws java.io.IOException {
            return real.bind(fd, ipv6, local, id);
        }

        @Override
        public int sendTo(int fd, ByteBuf buf, int index, int len, byte[] dst) throws java.io.IOException {
            return real.sendTo(fd, buf, index, len, dst);
        }

        @Override
        public int recvFrom(int fd, ByteBuf buf, int index, int cap, byte[] src) throws java.io.IOException {
            int n = real.recvFrom(fd, buf, index, cap, src);
            if (n >= 8) {
                kernelIds.add(buf.getUnsignedShort(index + 4));
            }
            return n;
        }

        @Override
        public void close(int fd) {
            real.close(fd);
        }

        @Override
        public boolean groupRangeAdmits(int gid) {
            return real.groupRangeAdmits(gid);
        }
    }

    /** Two echo replies, in either order, from {@code a} and {@code b} with these payloads. */
    void expectPair(InetAddress a, String da, InetAddress b, String db, int seq) {
        byte[] f1 = link.take();
        byte[] f2 = link.take();
        int src1 = Unpooled.wrappedBuffer(f1).getInt(14 + Ipv4Packet.SRC);
        if (!InetLiterals.fromInt(src1).equals(a)) {
            byte[] t = f1;
            f1 = f2;
            f2 = t;
        }
        assertArrayEquals(data(da), echoReply(f1, a, GUEST4, 0x2222, seq));
        assertArrayEquals(data(db), echoReply(f2, b, GUEST4, 0x2222, seq));
    }

    @Test
    void sameIdentifierToTwoDestinationsGetsTwoKernelIdentifiersTranslatedBack() {
        onLoop(loop, () -> icmp.close());
        InetAddress other = InetLiterals.parse("10.0.2.3");
        InetAddress lo2 = InetLiterals.parse("127.0.0.2");
        AddressMapper m = new AddressMapper() {
            @Override
            public InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto) {
                return dst.equals(GW4) ? FlowTestKit.LO4 : dst.equals(other) ? lo2 : dst;
            }

            @Override
            public InetAddress guestVisibleSource(InetAddress hostPeer) {
                return hostPeer;
            }
        };
        RecordingSockets rec = new RecordingSockets();
        icmp = newFlows(new IcmpSettings(IcmpSettings.DEFAULT_IDLE_TIMEOUT, rec, IcmpSettings.DEFAULT.deviceBinder()),
                m);
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x2222, 1, data("one")));
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, other, 0x2222, 1, data("two")));
        expectPair(GW4, "one", other, "two", 1);
        // both sockets exist now: each reply must still reach its own flow
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x2222, 2, data("three")));
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, other, 0x2222, 2, data("four")));
        expectPair(GW4, "three", other, "four", 2);
        assertEquals(2, onLoop(loop, () -> icmp.activeFlows()));
        assertEquals(4, rec.kernelIds.size());
        assertEquals(2, new java.util.HashSet<>(rec.kernelIds).size(), "one kernel identifier per socket");
        assertFalse(ctx.counters().snapshot().containsKey("icmp.foreign_reply"));
    }

    @Test
    void rejectAnswersAdministrativelyProhibited() {
        gate.answer = GateDecision.reject("test", "no pings");
        ByteBuf req = FlowTestKit.echo(GUEST4, GW4, 0x55, 1, data("refused"));
        send(icmp.handlerV4(), req);
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f));
        ByteBuf b = Unpooled.wrappedBuffer(f);
        Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(b, 14, f.length - 14));
        assertEquals(GW4, InetLiterals.fromInt(ip.src()));
        assertEquals(GUEST4, InetLiterals.fromInt(ip.dst()));
        Icmpv4Message m = new Icmpv4Message();
        assertTrue(m.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(Icmpv4Message.TYPE_DEST_UNREACHABLE, m.type());
        assertEquals(Icmpv4Message.CODE_ADMIN_PROHIBITED, m.code());
        assertArrayEquals(ByteBufUtil.getBytes(req, 14, req.writerIndex() - 14),
                ByteBufUtil.getBytes(b, m.payloadOffset(), m.payloadLength()));
        assertEquals(0, onLoop(loop, () -> icmp.activeFlows()));
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x55, 2, data("refused")));
        assertTrue(FlowTestKit.checksumsValid(link.take()));
        assertEquals(1, gate.calls.size());

        ByteBuf req6 = FlowTestKit.echo(GUEST6, GW6, 0x56, 1, data("refused6"));
        send(icmp.handlerV6(), req6);
        byte[] f6 = link.take();
        assertTrue(FlowTestKit.checksumsValid(f6));
        ByteBuf b6 = Unpooled.wrappedBuffer(f6);
        assertEquals(1, b6.getUnsignedByte(54));
        assertEquals(1, b6.getUnsignedByte(55), "communication administratively prohibited");
        assertArrayEquals(ByteBufUtil.getBytes(req6, 14, req6.writerIndex() - 14),
                ByteBufUtil.getBytes(b6, 54 + 8, f6.length - 54 - 8));
    }

    @Test
    void dropIsSilent() {
        gate.answer = GateDecision.drop("test", "shh");
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x66, 1, data("x")));
        gate.answer = GateDecision.ACCEPT;
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x67, 1, data("y")));
        assertArrayEquals(data("y"), echoReply(link.take(), GW4, GUEST4, 0x67, 1));
        assertNull(link.poll(Duration.ofMillis(200)));
        assertEquals(1L, ctx.counters().snapshot().get("icmp.drop"));
    }

    @Test
    void idleFlowsAreClosed() {
        onLoop(loop, () -> icmp.close());
        icmp = newFlows(IcmpSettings.DEFAULT.withIdleTimeout(Duration.ofMillis(200)), FlowTestKit.mapper());
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x77, 1, data("x")));
        link.take();
        assertTrue(FlowTestKit.eventually(Duration.ofSeconds(10), () -> onLoop(loop, () -> icmp.activeFlows()) == 0));
        assertEquals(0, budget.used());
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x77, 2, data("x")));
        echoReply(link.take(), GW4, GUEST4, 0x77, 2);
        assertEquals(2, gate.calls.size());
    }

    @Test
    void otherIcmpAndBadEchoesAreIgnored() {
        ByteBuf reply = FlowTestKit.echo(GUEST4, GW4, 0x88, 1, data("x"));
        reply.setByte(34, Icmpv4Message.TYPE_ECHO_REPLY);
        send(icmp.handlerV4(), reply);
        ByteBuf bad = FlowTestKit.echo(GUEST4, GW4, 0x88, 1, data("x"));
        bad.setByte(bad.writerIndex() - 1, 'y'); // checksum no longer matches
        send(icmp.handlerV4(), bad);
        ByteBuf bad6 = FlowTestKit.echo(GUEST6, GW6, 0x88, 1, data("x"));
        bad6.setByte(bad6.writerIndex() - 1, 'y');
        send(icmp.handlerV6(), bad6);
        ByteBuf ns6 = FlowTestKit.echo(GUEST6, GW6, 0x88, 1, data("x"));
        ns6.setByte(54, 135);
        send(icmp.handlerV6(), ns6);
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, InetLiterals.parse("224.0.0.1"), 0x88, 1, data("m")));
        assertTrue(gate.calls.isEmpty());
        assertTrue(link.drain().isEmpty());
        assertEquals(2L, ctx.counters().snapshot().get("icmp.ignored"));
        assertEquals(2L, ctx.counters().snapshot().get("icmp.bad"));
        assertEquals(1L, ctx.counters().snapshot().get("icmp.bad_addr"));
    }

    @Test
    void linkDownClosesAll() {
        send(icmp.handlerV4(), FlowTestKit.echo(GUEST4, GW4, 0x99, 1, data("x")));
        link.take();
        onLoop(loop, () -> icmp.onLinkDown());
        assertEquals(0, onLoop(loop, () -> icmp.activeFlows()));
        assertEquals(0, budget.used());
        assertFalse(ctx.counters().snapshot().containsKey("icmp.open_failed"));
    }
}
