package dev.sluice.core.flow.udp;

import static dev.sluice.core.flow.FlowTestKit.GUEST4;
import static dev.sluice.core.flow.FlowTestKit.GUEST6;
import static dev.sluice.core.flow.FlowTestKit.GUEST_MAC;
import static dev.sluice.core.flow.FlowTestKit.GW4;
import static dev.sluice.core.flow.FlowTestKit.GW6;
import static dev.sluice.core.flow.FlowTestKit.LO4;
import static dev.sluice.core.flow.FlowTestKit.LO6;
import static dev.sluice.core.flow.FlowTestKit.deliver;
import static dev.sluice.core.flow.FlowTestKit.onLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.host.FdLimit;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.flow.FlowTestKit.CollectingLink;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** UdpFlows against real sockets on 127.0.0.1 and ::1, driven by hand-built guest frames. */
class UdpFlowsTest {
    static MultiThreadIoEventLoopGroup group;
    static IoEventLoop loop;

    CollectingLink link;
    SluiceContext ctx;
    UdpEchoServer echo4;
    UdpEchoServer echo6;
    RecordingGate gate;
    FlowBudget budget;
    UdpFlows udp;

    /** A gate that answers with a fixed decision and records what it was asked. */
    static final class RecordingGate implements OutboundGate {
        volatile GateDecision answer = GateDecision.ACCEPT;
        final List<InetSocketAddress[]> calls = new CopyOnWriteArrayList<>();

        @Override
        public GateDecision decide(FlowProtocol proto, InetSocketAddress guestSrc, InetSocketAddress dstAsSent,
                                   InetSocketAddress dstMapped) {
            assertEquals(FlowProtocol.UDP, proto);
            calls.add(new InetSocketAddress[] {guestSrc, dstAsSent, dstMapped});
            return answer;
        }
    }

    @BeforeAll
    static void startLoop() {
        group = FlowTestKit.newGroup();
        loop = (IoEventLoop) group.next();
    }

    @AfterAll
    static void stopLoop() throws InterruptedException {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }

    @BeforeEach
    void setUp() throws Exception {
        link = new CollectingLink();
        ctx = FlowTestKit.context(loop, link);
        echo4 = new UdpEchoServer(LO4);
        echo6 = new UdpEchoServer(LO6);
        gate = new RecordingGate();
        budget = new FlowBudget(1000);
        udp = newFlows(UdpSettings.DEFAULT);
    }

    UdpFlows newFlows(UdpSettings s) {
        return onLoop(loop, () -> new UdpFlows(ctx, FlowTestKit.mapper(), gate, budget, s));
    }

    @AfterEach
    void tearDown() throws Exception {
        onLoop(loop, () -> udp.close());
        echo4.close();
        echo6.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Checks a UDP frame for the guest and returns its payload as text. */
    static String udpReply(byte[] f, InetAddress from, int fromPort, InetAddress to, int toPort) {
        ByteBuf b = Unpooled.wrappedBuffer(f);
        assertEquals(GUEST_MAC, Mac.get(b, EthernetFrame.DST));
        assertEquals(GuestConfig.DEFAULT_OUR_MAC, Mac.get(b, EthernetFrame.SRC));
        assertTrue(FlowTestKit.checksumsValid(f), "checksums");
        UdpDatagram u = new UdpDatagram();
        if (from instanceof java.net.Inet4Address) {
            assertEquals(EthernetFrame.TYPE_IPV4, b.getUnsignedShort(12));
            Ipv4Packet ip = new Ipv4Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            assertEquals(Ipv4Packet.PROTO_UDP, ip.protocol());
            assertEquals(from, InetLiterals.fromInt(ip.src()));
            assertEquals(to, InetLiterals.fromInt(ip.dst()));
            assertEquals(f.length - 14, ip.totalLength());
            assertTrue(u.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        } else {
            assertEquals(EthernetFrame.TYPE_IPV6, b.getUnsignedShort(12));
            Ipv6Packet ip = new Ipv6Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            assertEquals(Ipv6Packet.NH_UDP, ip.upperLayer());
            assertEquals(from, InetLiterals.fromHalves(ip.srcHi(), ip.srcLo()));
            assertEquals(to, InetLiterals.fromHalves(ip.dstHi(), ip.dstLo()));
            assertTrue(u.wrap(b, ip.upperLayerOffset(), ip.upperLayerLength()));
        }
        assertEquals(fromPort, u.srcPort());
        assertEquals(toPort, u.dstPort());
        return b.toString(u.payloadOffset(), u.payloadLength(), StandardCharsets.US_ASCII);
    }

    @Test
    void roundTripV4ThroughTheGatewayMapping() {
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40000, GW4, echo4.port(), bytes("hello")));
        byte[] reply = link.take();
        // the reply comes from the gateway address the guest sent to, not from 127.0.0.1
        assertEquals("echo:hello", udpReply(reply, GW4, echo4.port(), GUEST4, 40000));
        assertEquals(LO4, echo4.senders.get(0).getAddress());
        assertEquals(1, onLoop(loop, () -> udp.activeFlows()));
        assertEquals(1, budget.used());
        // gate consulted once with the address as sent and as mapped
        assertEquals(1, gate.calls.size());
        InetSocketAddress[] c = gate.calls.get(0);
        assertEquals(new InetSocketAddress(GUEST4, 40000), c[0]);
        assertEquals(new InetSocketAddress(GW4, echo4.port()), c[1]);
        assertEquals(new InetSocketAddress(LO4, echo4.port()), c[2]);
        assertTrue(ctx.guestState().seenAddresses().contains(GUEST4));

        // the same flow carries the next datagram: same host socket, no second gate call
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40000, GW4, echo4.port(), bytes("again")));
        assertEquals("echo:again", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40000));
        assertEquals(1, gate.calls.size());
        assertEquals(echo4.senders.get(0), echo4.senders.get(1));
    }

    @Test
    void roundTripV6ThroughTheGatewayMapping() {
        deliver(loop, udp, FlowTestKit.udp6(GUEST6, 40001, GW6, echo6.port(), bytes("hello6")));
        assertEquals("echo:hello6", udpReply(link.take(), GW6, echo6.port(), GUEST6, 40001));
        assertEquals(LO6, echo6.senders.get(0).getAddress());
    }

    @Test
    void largeDatagramRoundTrip() {
        byte[] big = new byte[60000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40002, GW4, echo4.port(), big));
        String r = udpReply(link.take(), GW4, echo4.port(), GUEST4, 40002);
        assertEquals("echo:" + new String(big, StandardCharsets.US_ASCII), r);
    }

    @Test
    void fiftyConcurrentFlows() {
        for (int i = 0; i < 50; i++) {
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 41000 + i, GW4, echo4.port(), bytes("n" + i)));
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            byte[] f = link.take();
            ByteBuf b = Unpooled.wrappedBuffer(f);
            int dport = b.getUnsignedShort(GuestFramesOffsets.UDP4 + 2);
            String payload = udpReply(f, GW4, echo4.port(), GUEST4, dport);
            assertEquals("echo:n" + (dport - 41000), payload);
            seen.add(dport);
        }
        assertEquals(50, seen.size());
        assertEquals(50, onLoop(loop, () -> udp.activeFlows()));
        assertEquals(50, new HashSet<>(echo4.senders).size(), "one host socket per flow");
        assertEquals(50, budget.used());
        onLoop(loop, () -> udp.onLinkDown());
        assertEquals(0, onLoop(loop, () -> udp.activeFlows()));
        assertEquals(0, budget.used());
    }

    @Test
    void idleFlowsAreClosed() {
        onLoop(loop, () -> udp.close());
        udp = newFlows(UdpSettings.DEFAULT.withIdleTimeout(Duration.ofMillis(200)));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40003, GW4, echo4.port(), bytes("x")));
        link.take();
        assertTrue(FlowTestKit.eventually(Duration.ofSeconds(10), () -> onLoop(loop, () -> udp.activeFlows()) == 0));
        assertEquals(0, budget.used());
        assertEquals(1L, ctx.counters().snapshot().get("udp.idle_closed"));
        // a new datagram opens a new flow (and asks the gate again)
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40003, GW4, echo4.port(), bytes("y")));
        assertEquals("echo:y", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40003));
        assertEquals(2, gate.calls.size());
    }

    @Test
    void gateRejectAnswersWithPortUnreachableQuotingTheDatagramV4() {
        gate.answer = GateDecision.reject("test", "no");
        ByteBuf sent = FlowTestKit.udp4(GUEST4, 40004, GW4, echo4.port(), bytes("refused!"));
        deliver(loop, udp, sent);
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f));
        ByteBuf b = Unpooled.wrappedBuffer(f);
        Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(b, 14, f.length - 14));
        assertEquals(Ipv4Packet.PROTO_ICMP, ip.protocol());
        assertEquals(GW4, InetLiterals.fromInt(ip.src()), "from the address the guest sent to");
        assertEquals(GUEST4, InetLiterals.fromInt(ip.dst()));
        Icmpv4Message m = new Icmpv4Message();
        assertTrue(m.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(Icmpv4Message.TYPE_DEST_UNREACHABLE, m.type());
        assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, m.code());
        assertTrue(m.verifyChecksum());
        assertArrayEquals(ByteBufUtil.getBytes(sent, 14, sent.writerIndex() - 14),
                ByteBufUtil.getBytes(b, m.payloadOffset(), m.payloadLength()), "the whole datagram is quoted");
        assertEquals(0, onLoop(loop, () -> udp.activeFlows()));
        assertEquals(0, budget.used());
        assertTrue(echo4.senders.isEmpty());

        // a second datagram of the refused flow: another error, no second gate call
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40004, GW4, echo4.port(), bytes("again")));
        assertTrue(FlowTestKit.checksumsValid(link.take()));
        assertEquals(1, gate.calls.size());
        assertEquals(2L, ctx.counters().snapshot().get("udp.reject"));
    }

    @Test
    void gateRejectAnswersWithIcmpv6PortUnreachable() {
        gate.answer = GateDecision.reject("test", "no");
        ByteBuf sent = FlowTestKit.udp6(GUEST6, 40005, GW6, echo6.port(), bytes("refused6"));
        deliver(loop, udp, sent);
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f), "ICMPv6 checksum with pseudo-header");
        ByteBuf b = Unpooled.wrappedBuffer(f);
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, 14, f.length - 14));
        assertEquals(Ipv6Packet.NH_ICMPV6, ip.upperLayer());
        assertEquals(GW6, InetLiterals.fromHalves(ip.srcHi(), ip.srcLo()));
        assertEquals(GUEST6, InetLiterals.fromHalves(ip.dstHi(), ip.dstLo()));
        int icmp = ip.upperLayerOffset();
        assertEquals(1, b.getUnsignedByte(icmp));
        assertEquals(4, b.getUnsignedByte(icmp + 1));
        assertArrayEquals(ByteBufUtil.getBytes(sent, 14, sent.writerIndex() - 14),
                ByteBufUtil.getBytes(b, icmp + 8, ip.upperLayerLength() - 8));
    }

    @Test
    void quoteOfALargeDatagramIsCapped() {
        gate.answer = GateDecision.reject("test", "no");
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40006, GW4, echo4.port(), new byte[3000]));
        byte[] f = link.take();
        assertEquals(14 + 576, f.length);
        assertTrue(FlowTestKit.checksumsValid(f));
        deliver(loop, udp, FlowTestKit.udp6(GUEST6, 40006, GW6, echo6.port(), new byte[3000]));
        byte[] f6 = link.take();
        assertEquals(14 + 1280, f6.length);
        assertTrue(FlowTestKit.checksumsValid(f6));
    }

    @Test
    void gateDropIsSilent() {
        gate.answer = GateDecision.drop("test", "shh");
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40007, GW4, echo4.port(), bytes("dropped")));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40007, GW4, echo4.port(), bytes("dropped")));
        gate.answer = GateDecision.ACCEPT;
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40008, GW4, echo4.port(), bytes("ok")));
        // the only frame the guest gets is the accepted flow's reply
        assertEquals("echo:ok", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40008));
        assertNull(link.poll(Duration.ofMillis(200)));
        assertEquals(1, echo4.senders.size());
        assertEquals(2, gate.calls.size(), "one call per flow");
        assertEquals(2L, ctx.counters().snapshot().get("udp.drop"));
    }

    @Test
    void fullBudgetRefusesNewFlowsWithPortUnreachable() {
        onLoop(loop, () -> udp.close());
        budget = new FlowBudget(1);
        udp = newFlows(UdpSettings.DEFAULT);
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40009, GW4, echo4.port(), bytes("first")));
        udpReply(link.take(), GW4, echo4.port(), GUEST4, 40009);
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40010, GW4, echo4.port(), bytes("second")));
        byte[] f = link.take();
        ByteBuf b = Unpooled.wrappedBuffer(f);
        assertEquals(Ipv4Packet.PROTO_ICMP, b.getUnsignedByte(14 + Ipv4Packet.PROTOCOL));
        assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, b.getUnsignedByte(GuestFramesOffsets.UDP4 + 1));
        assertEquals(1L, ctx.counters().snapshot().get("udp.budget_full"));
        assertEquals(1, onLoop(loop, () -> udp.activeFlows()));
        // the existing flow is untouched
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40009, GW4, echo4.port(), bytes("still")));
        assertEquals("echo:still", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40009));
    }

    @Test
    void unansweredFlowsAgeOutLongBeforeAnsweredOnes() throws Exception {
        onLoop(loop, () -> udp.close());
        udp = newFlows(UdpSettings.DEFAULT.withUnansweredTimeout(Duration.ofMillis(200)));
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO4, 0))) {
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40040, GW4, echo4.port(), bytes("hi")));
            udpReply(link.take(), GW4, echo4.port(), GUEST4, 40040);
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40041, GW4, silent.getLocalPort(), bytes("anyone?")));
            assertEquals(2, onLoop(loop, () -> udp.activeFlows()));
            assertTrue(FlowTestKit.eventually(Duration.ofSeconds(10),
                    () -> onLoop(loop, () -> udp.activeFlows()) == 1));
            assertEquals(1L, ctx.counters().snapshot().get("udp.unanswered_closed"));
            assertEquals(1, budget.used(), "the answered flow keeps its slot");
            Thread.sleep(400);
            assertEquals(1, onLoop(loop, () -> udp.activeFlows()), "answered: the 180 s timeout");
        }
    }

    @Test
    void aFullTableClosesTheOldestUnansweredFlowForANewOne() throws Exception {
        onLoop(loop, () -> udp.close());
        budget = new FlowBudget(2);
        udp = newFlows(UdpSettings.DEFAULT);
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LO4, 0))) {
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40070, GW4, silent.getLocalPort(), bytes("1")));
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40071, GW4, silent.getLocalPort(), bytes("2")));
            assertEquals(2, budget.used());
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40072, GW4, echo4.port(), bytes("dns")));
            assertEquals("echo:dns", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40072));
            assertEquals(1L, ctx.counters().snapshot().get("udp.evicted_unanswered"));
            assertEquals(2, budget.used());
            assertEquals(2, onLoop(loop, () -> udp.activeFlows()));
            // the answered flow is never evicted: the next new flow takes the other unanswered one's place
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40073, GW4, silent.getLocalPort(), bytes("3")));
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40072, GW4, echo4.port(), bytes("still")));
            assertEquals("echo:still", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40072));
            assertEquals(2L, ctx.counters().snapshot().get("udp.evicted_unanswered"));
        }
    }

    @Test
    void overTheRateNewFlowsAreRefusedWithPortUnreachable() {
        onLoop(loop, () -> udp.close());
        budget = new FlowBudget(1000, 3);
        udp = newFlows(UdpSettings.DEFAULT);
        for (int i = 0; i < 10; i++) {
            deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40050 + i, GW4, echo4.port(), bytes("n" + i)));
        }
        int icmp = 0;
        for (int i = 0; i < 10; i++) {
            ByteBuf b = Unpooled.wrappedBuffer(link.take());
            if (b.getUnsignedByte(14 + Ipv4Packet.PROTOCOL) == Ipv4Packet.PROTO_ICMP) {
                assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, b.getUnsignedByte(GuestFramesOffsets.UDP4 + 1));
                icmp++;
            }
        }
        long limited = ctx.counters().snapshot().getOrDefault("udp.rate_limited", 0L);
        assertEquals(icmp, limited);
        assertTrue(limited >= 6, "at most the burst of 3 (and a refill) opened: " + limited);
        assertEquals(10 - limited, (long) onLoop(loop, () -> udp.activeFlows()));
        assertEquals(onLoop(loop, () -> udp.activeFlows()), budget.used());
    }

    @Test
    void noDescriptorLeftMeansPortUnreachableAndNoLeakedSlot() {
        FdLimit.Limits lim;
        try {
            lim = FdLimit.read();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try {
            FdLimit.set(FlowTestKit.exhaustingFdLimit(), lim.hard()); // socket(2) now fails with EMFILE
            for (int i = 0; i < 5; i++) {
                deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40060 + i, GW4, echo4.port(), bytes("x")));
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } finally {
            try {
                FdLimit.set(lim.soft(), lim.hard());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        for (int i = 0; i < 5; i++) {
            ByteBuf b = Unpooled.wrappedBuffer(link.take());
            assertEquals(Ipv4Packet.PROTO_ICMP, b.getUnsignedByte(14 + Ipv4Packet.PROTOCOL));
            assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, b.getUnsignedByte(GuestFramesOffsets.UDP4 + 1));
        }
        assertEquals(5L, ctx.counters().snapshot().get("udp.open_failed"));
        assertNull(ctx.counters().snapshot().get("udp.errors"), "no exception escaped");
        assertEquals(0, budget.used(), "every slot returned");
        assertEquals(0, onLoop(loop, () -> udp.activeFlows()));
        // descriptors are back: the same guest flow now opens
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40060, GW4, echo4.port(), bytes("now")));
        assertEquals("echo:now", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40060));
    }

    @Test
    void hostSideRefusalBecomesPortUnreachable() throws Exception {
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO4, 0))) {
            closedPort = s.getLocalPort();
        }
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40011, GW4, closedPort, bytes("anyone?")));
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f));
        ByteBuf b = Unpooled.wrappedBuffer(f);
        Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(b, 14, f.length - 14));
        assertEquals(GW4, InetLiterals.fromInt(ip.src()));
        Icmpv4Message m = new Icmpv4Message();
        assertTrue(m.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, m.code());
        // the quote names the guest's socket: src 10.0.2.15:40011, dst 10.0.2.2:closedPort (header + 8 bytes only)
        int q = m.payloadOffset();
        assertEquals(28, m.payloadLength());
        assertEquals(0x45, b.getUnsignedByte(q));
        assertEquals(20 + 8 + 7, b.getUnsignedShort(q + Ipv4Packet.TOTAL_LEN));
        assertEquals(GUEST4, InetLiterals.fromInt(b.getInt(q + Ipv4Packet.SRC)));
        assertEquals(GW4, InetLiterals.fromInt(b.getInt(q + Ipv4Packet.DST)));
        assertEquals(Ipv4Packet.PROTO_UDP, b.getUnsignedByte(q + Ipv4Packet.PROTOCOL));
        assertEquals(40011, b.getUnsignedShort(q + 20));
        assertEquals(closedPort, b.getUnsignedShort(q + 22));
        assertEquals(8 + 7, b.getUnsignedShort(q + 24));
        assertEquals(1L, ctx.counters().snapshot().get("udp.refused_by_host"));
        // the flow stays usable, as a connected socket does
        assertEquals(1, onLoop(loop, () -> udp.activeFlows()));
    }

    @Test
    void hostSideRefusalV6() throws Exception {
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO6, 0))) {
            closedPort = s.getLocalPort();
        }
        deliver(loop, udp, FlowTestKit.udp6(GUEST6, 40012, GW6, closedPort, bytes("anyone?")));
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f));
        ByteBuf b = Unpooled.wrappedBuffer(f);
        int icmp = GuestFramesOffsets.UDP6;
        assertEquals(1, b.getUnsignedByte(icmp));
        assertEquals(4, b.getUnsignedByte(icmp + 1));
        assertEquals(40012, b.getUnsignedShort(icmp + 8 + 40));
    }

    @Test
    void badAndUnroutablePacketsAreCountedNotThrown() {
        ByteBuf good = FlowTestKit.udp4(GUEST4, 40013, GW4, echo4.port(), bytes("x"));
        onLoop(loop, () -> udp.onPacket(good, 14, false, GuestFramesOffsets.UDP4, 7)); // shorter than a UDP header
        ByteBuf badLen = FlowTestKit.udp4(GUEST4, 40013, GW4, echo4.port(), bytes("x"));
        badLen.setShort(GuestFramesOffsets.UDP4 + 4, 200); // length beyond the data
        deliver(loop, udp, badLen);
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 0, GW4, echo4.port(), bytes("x")));
        assertEquals(3L, ctx.counters().snapshot().get("udp.bad"));

        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40013, InetLiterals.parse("224.0.0.251"), 5353, bytes("m")));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40013, InetLiterals.parse("255.255.255.255"), 9, bytes("b")));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40013, InetLiterals.parse("10.0.2.255"), 9, bytes("b")));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40013, LO4, echo4.port(), bytes("lo")));
        deliver(loop, udp, FlowTestKit.udp6(GUEST6, 40013, InetLiterals.parse("ff02::fb"), 5353, bytes("m")));
        deliver(loop, udp, FlowTestKit.udp6(GUEST6, 40013, InetLiterals.parse("fe80::99"), 9, bytes("ll")));
        assertEquals(6L, ctx.counters().snapshot().get("udp.bad_addr"));
        assertTrue(gate.calls.isEmpty());
        assertTrue(link.drain().isEmpty());
        assertTrue(echo4.senders.isEmpty());
    }

    @Test
    void gateBindingsApplyToTheHostSocket() {
        // any 127/8 address is local: the echo server must see the bound source
        gate.answer = GateDecision.accept("lo", InetLiterals.parse("127.0.0.2"));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40016, GW4, echo4.port(), bytes("bound")));
        assertEquals("echo:bound", udpReply(link.take(), GW4, echo4.port(), GUEST4, 40016));
        assertEquals(InetLiterals.parse("127.0.0.2"), echo4.senders.get(0).getAddress());
    }

    @Test
    void unusableInterfaceBindingAnswersHostUnreachable() {
        gate.answer = GateDecision.accept("nosuchif0", null);
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40017, GW4, echo4.port(), bytes("x")));
        byte[] f = link.take();
        assertTrue(FlowTestKit.checksumsValid(f));
        ByteBuf b = Unpooled.wrappedBuffer(f);
        assertEquals(Icmpv4Message.TYPE_DEST_UNREACHABLE, b.getUnsignedByte(GuestFramesOffsets.UDP4));
        assertEquals(Icmpv4Message.CODE_HOST_UNREACHABLE, b.getUnsignedByte(GuestFramesOffsets.UDP4 + 1));
        assertEquals(1L, ctx.counters().snapshot().get("udp.open_failed"));
        assertEquals(0, budget.used());
        assertTrue(echo4.senders.isEmpty());
    }

    @Test
    void unknownGuestMacGoesToBroadcast() {
        ctx.guestState().learnMac(0);
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40014, GW4, echo4.port(), bytes("b")));
        byte[] f = link.take();
        assertEquals(Mac.BROADCAST, Mac.get(Unpooled.wrappedBuffer(f), 0));
    }

    @Test
    void closeReleasesEverything() {
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40015, GW4, echo4.port(), bytes("x")));
        link.take();
        onLoop(loop, () -> udp.close());
        assertEquals(0, budget.used());
        assertEquals(0, onLoop(loop, () -> udp.activeFlows()));
        deliver(loop, udp, FlowTestKit.udp4(GUEST4, 40015, GW4, echo4.port(), bytes("x")));
        assertNull(link.poll(Duration.ofMillis(100)));
    }

    /** Offsets in frames for the guest (no IP options). */
    static final class GuestFramesOffsets {
        static final int UDP4 = 14 + 20;
        static final int UDP6 = 14 + 40;
    }
}
