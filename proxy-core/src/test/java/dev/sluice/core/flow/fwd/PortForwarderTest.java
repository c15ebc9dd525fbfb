package dev.sluice.core.flow.fwd;

import static dev.sluice.core.flow.FlowTestKit.GUEST4;
import static dev.sluice.core.flow.FlowTestKit.GUEST6;
import static dev.sluice.core.flow.FlowTestKit.GW4;
import static dev.sluice.core.flow.FlowTestKit.GW6;
import static dev.sluice.core.flow.FlowTestKit.LO4;
import static dev.sluice.core.flow.FlowTestKit.LO6;
import static dev.sluice.core.flow.FlowTestKit.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.DeviceBinder;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.flow.FlowTestKit.CollectingLink;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.udp.UdpFlows;
import dev.sluice.core.flow.udp.UdpSettings;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PortForwarder on 127.0.0.1 and ::1 only (binding every address is left to the namespace IT). */
class PortForwarderTest {
    static MultiThreadIoEventLoopGroup group;
    static IoEventLoop loop;

    CollectingLink link;
    SluiceContext ctx;
    FlowBudget budget;
    UdpFlows udp;
    PortForwarder fwd;
    final LinkedBlockingQueue<Object[]> accepted = new LinkedBlockingQueue<>();

    @BeforeAll
    static void startLoop() {
        group = FlowTestKit.newGroup();
        loop = (IoEventLoop) group.next();
    }

    @AfterAll
    static void stopLoop() throws InterruptedException {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @BeforeEach
    void setUp() {
        link = new CollectingLink();
        ctx = FlowTestKit.context(loop, link);
        budget = new FlowBudget(100);
        udp = onLoop(loop, () -> new UdpFlows(ctx, FlowTestKit.mapper(), OutboundGate.ALLOW_ALL, budget,
                UdpSettings.DEFAULT.withIdleTimeout(Duration.ofMillis(300))));
        fwd = new PortForwarder(ctx, FlowTestKit.mapper(), (ch, dst, src) -> {
            accepted.add(new Object[] {ch, dst, src, loop.inEventLoop(), ch.isRegistered(), ch.config().isAutoRead()});
        }, udp, DeviceBinder.HOST);
    }

    @AfterEach
    void tearDown() {
        fwd.close();
        onLoop(loop, () -> udp.close());
        for (Object[] a : accepted) {
            ((SocketChannel) a[0]).close();
        }
    }

    static int freeTcpPort(InetAddress a) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, a)) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort(InetAddress a) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(a, 0))) {
            return s.getLocalPort();
        }
    }

    Object[] nextAccept() throws InterruptedException {
        Object[] a = accepted.poll(5, TimeUnit.SECONDS);
        assertNotNull(a, "no connection handed over within 5 s");
        return a;
    }

    @Test
    void tcpConnectionIsHandedOverWithGuestAddresses() throws Exception {
        int port = freeTcpPort(LO4);
        fwd.forwardTcp(PortSpec.parse("127.0.0.1/" + port + ":8080"));
        assertEquals(1, fwd.listenerCount());
        try (Socket client = new Socket(LO4, port)) {
            Object[] a = nextAccept();
            assertEquals(new InetSocketAddress(GUEST4, 8080), a[1]);
            // a loopback peer appears as the gateway, with its real port
            assertEquals(new InetSocketAddress(GW4, client.getLocalPort()), a[2]);
            assertEquals(true, a[3], "called on the event loop");
            assertEquals(true, a[4], "registered");
            assertEquals(false, a[5], "auto-read off until the guest side is ready");
        }
        assertEquals(1L, ctx.counters().snapshot().get("fwd.tcp_accepted"));
    }

    @Test
    void tcpOverIpv6() throws Exception {
        int port = freeTcpPort(LO6);
        fwd.forwardTcp(PortSpec.parse("::1/" + port));
        try (Socket client = new Socket(LO6, port)) {
            Object[] a = nextAccept();
            assertEquals(new InetSocketAddress(GUEST6, port), a[1]);
            assertEquals(new InetSocketAddress(GW6, client.getLocalPort()), a[2]);
        }
    }

    @Test
    void rangesOpenOneListenerPerPort() throws Exception {
        int p = freeTcpPort(LO4);
        // neighbouring ports may be taken on a shared machine: retry a few bases
        IOException last = null;
        for (int base = p; base < p + 50; base += 5) {
            try {
                fwd.forwardTcp(PortSpec.parse("127.0.0.1/" + base + "-" + (base + 2) + ":" + (base + 1000)));
                assertEquals(3, fwd.listenerCount());
                try (Socket client = new Socket(LO4, base + 2)) {
                    assertEquals(new InetSocketAddress(GUEST4, base + 1002), nextAccept()[1]);
                }
                return;
            } catch (IOException e) {
                last = e;
                assertEquals(0, fwd.listenerCount(), "a failed spec leaves nothing open");
            }
        }
        throw last;
    }

    @Test
    void bindFailureNamesThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, LO4)) {
            int port = taken.getLocalPort();
            IOException e = assertThrows(IOException.class,
                    () -> fwd.forwardTcp(PortSpec.parse("127.0.0.1/" + port)));
            assertTrue(e.getMessage().contains("port " + port), e.getMessage());
            assertTrue(e.getMessage().contains("TCP"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            assertEquals(0, fwd.listenerCount());
        }
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(LO4, 0))) {
            int port = taken.getLocalPort();
            IOException e = assertThrows(IOException.class,
                    () -> fwd.forwardUdp(PortSpec.parse("127.0.0.1/" + port)));
            assertTrue(e.getMessage().contains("UDP port " + port), e.getMessage());
        }
    }

    @Test
    void noneOpensNothing() throws Exception {
        fwd.forwardTcp(PortSpec.NONE);
        fwd.forwardUdp(PortSpec.NONE);
        assertEquals(0, fwd.listenerCount());
    }

    /** Parses a UDP frame for the guest: {src, sport, dst, dport, payload}. */
    static Object[] udpFrame(byte[] f) {
        ByteBuf b = Unpooled.wrappedBuffer(f);
        assertTrue(FlowTestKit.checksumsValid(f));
        UdpDatagram u = new UdpDatagram();
        InetAddress src;
        InetAddress dst;
        if (b.getUnsignedShort(12) == 0x0800) {
            Ipv4Packet ip = new Ipv4Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            src = InetLiterals.fromInt(ip.src());
            dst = InetLiterals.fromInt(ip.dst());
            assertTrue(u.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        } else {
            Ipv6Packet ip = new Ipv6Packet();
            assertTrue(ip.wrap(b, 14, f.length - 14));
            src = InetLiterals.fromHalves(ip.srcHi(), ip.srcLo());
            dst = InetLiterals.fromHalves(ip.dstHi(), ip.dstLo());
            assertTrue(u.wrap(b, ip.upperLayerOffset(), ip.upperLayerLength()));
        }
        return new Object[] {src, u.srcPort(), dst, u.dstPort(),
            b.toString(u.payloadOffset(), u.payloadLength(), StandardCharsets.US_ASCII)};
    }

    void udpRoundTrip(InetAddress lo, InetAddress gw, InetAddress guest) throws Exception {
        int port = freeUdpPort(lo);
        fwd.forwardUdp(PortSpec.parse((lo.getAddress().length == 16 ? "::1" : "127.0.0.1") + "/" + port + ":5353"));
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(lo, 0))) {
            client.setSoTimeout(5000);
            byte[] hi = "hi".getBytes(StandardCharsets.US_ASCII);
            client.send(new DatagramPacket(hi, hi.length, new InetSocketAddress(lo, port)));
            Object[] f = udpFrame(link.take());
            assertEquals(gw, f[0], "from the peer's guest-visible address");
            assertEquals(client.getLocalPort(), f[1]);
            assertEquals(guest, f[2]);
            assertEquals(5353, f[3]);
            assertEquals("hi", f[4]);
            assertEquals(1, onLoop(loop, () -> udp.activeFlows()));

            // the guest answers from 5353 to the address and port it saw: back to the client, from the forwarded port
            ByteBuf reply = guest.getAddress().length == 16
                    ? FlowTestKit.udp6(guest, 5353, gw, client.getLocalPort(), "pong".getBytes())
                    : FlowTestKit.udp4(guest, 5353, gw, client.getLocalPort(), "pong".getBytes());
            FlowTestKit.deliver(loop, udp, reply);
            DatagramPacket in = new DatagramPacket(new byte[100], 100);
            client.receive(in);
            assertEquals("pong", new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII));
            assertEquals(new InetSocketAddress(lo, port), in.getSocketAddress());

            // a second datagram rides the same reverse flow
            client.send(new DatagramPacket(hi, hi.length, new InetSocketAddress(lo, port)));
            assertEquals("hi", udpFrame(link.take())[4]);
            assertEquals(1L, ctx.counters().snapshot().get("udp.inbound_opened"));
            assertEquals(1, budget.used());

            // reverse flows expire like any other
            assertTrue(FlowTestKit.eventually(Duration.ofSeconds(10),
                    () -> onLoop(loop, () -> udp.activeFlows()) == 0));
            assertEquals(0, budget.used());
        }
    }

    @Test
    void udpDatagramsReachTheGuestAndRepliesGoBack() throws Exception {
        udpRoundTrip(LO4, GW4, GUEST4);
    }

    @Test
    void udpOverIpv6() throws Exception {
        udpRoundTrip(LO6, GW6, GUEST6);
    }

    @Test
    void closingTheForwarderForgetsItsReverseFlows() throws Exception {
        int port = freeUdpPort(LO4);
        fwd.forwardUdp(PortSpec.parse("127.0.0.1/" + port));
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(LO4, 0))) {
            client.send(new DatagramPacket(new byte[] {1}, 1, new InetSocketAddress(LO4, port)));
            link.take();
        }
        assertEquals(1, onLoop(loop, () -> udp.activeFlows()));
        fwd.close();
        assertTrue(FlowTestKit.eventually(Duration.ofSeconds(5), () -> onLoop(loop, () -> udp.activeFlows()) == 0));
        assertEquals(0, fwd.listenerCount());
    }

    @Test
    void loopbackPeersAreRefusedWithoutHostLoopbackMapping() throws Exception {
        fwd.close();
        fwd = new PortForwarder(ctx,
                new dev.sluice.core.flow.PasstAddressMapper(dev.sluice.core.flow.MappingConfig.NONE),
                (ch, dst, src) -> accepted.add(new Object[] {ch}), udp, DeviceBinder.HOST);
        int port = freeTcpPort(LO4);
        fwd.forwardTcp(PortSpec.parse("127.0.0.1/" + port));
        try (Socket client = new Socket(LO4, port)) {
            client.setSoTimeout(5000);
            assertEquals(-1, client.getInputStream().read(), "closed: the guest could not answer 127.0.0.1");
        } catch (java.net.SocketException reset) {
            // a reset is as good as a close here
        }
        assertTrue(accepted.isEmpty());
        assertEquals(1L, ctx.counters().snapshot().get("fwd.tcp_unmapped"));
    }

    @Test
    void ephemeralRangeIsRead() {
        int[] r = PortForwarder.ephemeralRange();
        assertTrue(r[0] > 0 && r[0] <= r[1] && r[1] <= 65535);
    }
}
