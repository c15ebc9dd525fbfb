package dev.sluice.core.flow.tcp;

import dev.sluice.core.flow.DeviceBinder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.host.FdLimit;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.tcp.TcpHarness.Guest;
import dev.sluice.core.flow.tcp.TcpHarness.Seg;
import dev.sluice.core.wire.TcpSegment;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpFlowsTest {
    private TcpHarness h;
    private ServerSocket server;

    @AfterEach
    void tearDown() throws IOException {
        if (h != null) {
            h.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private int listen(boolean v6) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(v6 ? "::1" : "127.0.0.1"), 0));
        server.setSoTimeout(10_000);
        return server.getLocalPort();
    }

    /** Runs {@code body} on the next accepted connection in another thread. */
    private CompletableFuture<Object> serve(IoBody body) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(20_000);
                return body.run(s);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    interface IoBody {
        Object run(Socket s) throws Exception;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    // ------------------------------------------------------------------

    @Test
    void handshakeAnnouncesMssFromMtuAndWindowScale() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInputStream().read());
        Guest g = h.new Guest(false, 40000, port);
        Seg sa = g.connect(1000);
        assertEquals(1500 - 40, sa.mss());
        assertTrue(sa.wscale() >= 0, "window scale offered because the guest offered it");
        assertEquals(1001, sa.ack());
        assertEquals(TcpSegment.SYN | TcpSegment.ACK_FLAG, sa.flags());
        assertEquals(1, h.activeFlows());
        g.fin();
        assertEquals(-1, srv.get(10, TimeUnit.SECONDS));
        assertEquals(1, h.counter("tcp.opened"));
    }

    @Test
    void refusedPortGetsRstAckAcknowledgingTheSyn() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        server.close(); // nothing listens there any more
        server = null;
        Guest g = h.new Guest(false, 40001, port);
        g.syn(0x7fff_fff0);
        Seg r = h.expect(5000);
        assertTrue(r.has(TcpSegment.RST), r.toString());
        assertTrue(r.has(TcpSegment.ACK_FLAG), "a bare RST is ignored by Linux in SYN-SENT");
        assertEquals(0x7fff_fff1, r.ack());
        h.await(() -> h.flows.activeFlows() == 0, "flow freed");
        assertEquals(0, h.budget.used());
        assertEquals(1, h.counter("tcp.connect_failed"));
    }

    @Test
    void gateRejectGetsRstAckAndDropIsSilentAndDecidedOnce() throws Exception {
        AtomicInteger decisions = new AtomicInteger();
        OutboundGate gate = (proto, src, asSent, mapped) -> {
            decisions.incrementAndGet();
            return asSent.getPort() == 1 ? GateDecision.reject("test", "port 1") : GateDecision.drop("test", "port 2");
        };
        h = new TcpHarness(1500, gate, new FlowBudget(10), TcpHarness.fastSettings());
        Guest rejected = h.new Guest(false, 40002, 1);
        rejected.syn(500);
        Seg r = h.expect(5000);
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, r.flags());
        assertEquals(501, r.ack());

        Guest dropped = h.new Guest(false, 40003, 2);
        dropped.syn(900);
        dropped.syn(900); // the guest retransmits
        dropped.syn(900);
        assertNull(h.poll(300), "a dropped SYN gets no answer");
        assertEquals(2, decisions.get(), "one decision per flow, not per retransmitted SYN");
        assertEquals(1, h.counter("tcp.rejected"));
        assertEquals(1, h.counter("tcp.dropped"));
    }

    @Test
    void gateBindingsAreAppliedBeforeConnecting() throws Exception {
        java.util.List<String> bound = new java.util.concurrent.CopyOnWriteArrayList<>();
        InetAddress source = InetAddress.getByName("127.0.0.2");
        OutboundGate gate = (proto, src, asSent, mapped) -> GateDecision.accept("lo", source);
        DeviceBinder binder = (fd, ifname) -> bound.add(fd + ":" + ifname);
        h = new TcpHarness(1500, gate, new FlowBudget(10), TcpHarness.fastSettings(), binder);
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInetAddress().getHostAddress());
        Guest g = h.new Guest(false, 40020, port);
        g.connect(1);
        assertEquals("127.0.0.2", srv.get(10, TimeUnit.SECONDS), "bound to the decision's source address");
        assertEquals(1, bound.size());
        assertTrue(bound.get(0).endsWith(":lo") && Integer.parseInt(bound.get(0).split(":")[0]) > 0, bound.get(0));
    }

    @Test
    void failedInterfaceBindingRefusesTheFlow() throws Exception {
        OutboundGate gate = (proto, src, asSent, mapped) -> GateDecision.accept("nosuchif0", null);
        h = new TcpHarness(1500, gate, new FlowBudget(10), TcpHarness.fastSettings()); // UNSUPPORTED binder
        Guest g = h.new Guest(false, 40021, 80);
        g.syn(41);
        Seg r = h.expect(5000);
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, r.flags());
        assertEquals(42, r.ack());
        assertEquals(1, h.counter("tcp.bind_failed"));
        h.await(() -> h.flows.activeFlows() == 0 && h.budget.used() == 0, "nothing kept");
    }

    @Test
    void idleFlowIsResetOnBothSides() throws Exception {
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(10),
                TcpHarness.fastSettings().withTimeouts(java.time.Duration.ofSeconds(10), 2,
                        java.time.Duration.ofMillis(300), java.time.Duration.ofSeconds(60)));
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            try {
                return s.getInputStream().read();
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        Guest g = h.new Guest(false, 40022, port);
        g.connect(1);
        Seg r = h.expect(5000);
        assertTrue(r.has(TcpSegment.RST), r.toString());
        assertTrue(String.valueOf(srv.get(10, TimeUnit.SECONDS)).contains("reset"));
        assertEquals(1, h.counter("tcp.idle_timeouts"));
        assertEquals(0, h.activeFlows());
    }

    @Test
    void fullBudgetGetsRstAck() throws Exception {
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(1), TcpHarness.fastSettings());
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInputStream().read());
        Guest first = h.new Guest(false, 40004, port);
        first.connect(1);
        Guest second = h.new Guest(false, 40005, port);
        second.syn(77);
        Seg r = h.expect(5000);
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, r.flags());
        assertEquals(78, r.ack());
        assertEquals(1, h.counter("tcp.budget_full"));
        first.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void overTheRateNewFlowsGetRstAckAndHoldNoSlot() throws Exception {
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(10, 1), TcpHarness.fastSettings());
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInputStream().read());
        Guest first = h.new Guest(false, 40030, port);
        first.connect(1);                               // the one token of this second
        Guest second = h.new Guest(false, 40031, port);
        second.syn(77);
        Seg r = h.expect(5000);
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, r.flags());
        assertEquals(78, r.ack());
        assertEquals(1, h.counter("tcp.rate_limited"));
        assertEquals(1, h.budget.used(), "only the first flow holds a slot");
        first.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFullTableMakesRoomByDroppingTheOldestPendingFlow() throws Exception {
        int dropped = 9; // the gate drops this port: each SYN leaves a tombstone holding a slot
        OutboundGate gate = (proto, src, asSent, mapped) -> asSent.getPort() == dropped
                ? GateDecision.drop("test", "flood") : GateDecision.ACCEPT;
        h = new TcpHarness(1500, gate, new FlowBudget(2), TcpHarness.fastSettings());
        h.new Guest(false, 40033, dropped).syn(1);
        h.new Guest(false, 40034, dropped).syn(1);
        h.await(() -> h.budget.used() == 2, "two tombstones");
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInputStream().read());
        Guest honest = h.new Guest(false, 40035, port);
        honest.connect(100);                            // full, yet it gets in
        assertEquals(1, h.counter("tcp.evicted_pending"));
        assertEquals(0, h.counter("tcp.budget_full"));
        assertEquals(2, h.budget.used());
        honest.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void noDescriptorLeftMeansRstAckNotAnException() throws Exception {
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(10), TcpHarness.fastSettings());
        int port = listen(false);
        FdLimit.Limits lim = FdLimit.read();
        Seg r;
        try {
            FdLimit.set(FlowTestKit.exhaustingFdLimit(), lim.hard()); // socket(2) now fails with EMFILE
            Guest g = h.new Guest(false, 40032, port);
            g.syn(500);
            r = h.expect(5000);
        } finally {
            FdLimit.set(lim.soft(), lim.hard());
        }
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, r.flags());
        assertEquals(501, r.ack());
        assertEquals(1, h.counter("tcp.open_failed"));
        assertEquals(0, h.counter("tcp.errors"), "no exception escaped");
        h.await(() -> h.flows.activeFlows() == 0 && h.budget.used() == 0, "the slot is back");
    }

    @Test
    void smallDataBothWaysAndOrderlyCloseFromTheGuest() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            byte[] got = s.getInputStream().readNBytes(5);
            s.getOutputStream().write("world".getBytes());
            s.getOutputStream().flush();
            int eof = s.getInputStream().read();
            s.close();
            return new String(got) + eof;
        });
        Guest g = h.new Guest(false, 40006, port);
        g.connect(100);
        g.data("hello".getBytes(), 0, 5);
        // ACK of our data, then the reply
        while (g.received.size() < 5) {
            Seg s = h.expect(5000);
            if (g.absorb(s)) {
                g.ack();
            }
        }
        assertEquals("world", g.received.toString());
        assertEquals(g.sndNxt, g.sndUna, "our data acknowledged");
        g.fin();
        while (!g.gotFin) {
            Seg s = h.expect(5000);
            g.absorb(s);
        }
        g.ack();
        assertEquals("hello-1", srv.get(10, TimeUnit.SECONDS));
        h.await(() -> h.flows.activeFlows() == 0, "flow freed after both FINs");
        assertEquals(0, h.budget.used());
    }

    @Test
    void keepAliveProbeIsAnswered() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> s.getInputStream().read());
        Guest g = h.new Guest(false, 40007, port);
        g.connect(5000);
        // Linux keep-alive: seq = snd.una - 1, no data
        g.send(g.sndNxt - 1, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), null, 0, 0, false);
        Seg a = h.expect(2000);
        assertEquals(TcpSegment.ACK_FLAG, a.flags());
        assertEquals(g.sndNxt, a.ack());
        // ... and with one garbage byte
        g.send(g.sndNxt - 1, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), new byte[] {0}, 0, 1, false);
        a = h.expect(2000);
        assertEquals(g.sndNxt, a.ack());
        g.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void segmentForUnknownFlowGetsRst() {
        h = new TcpHarness();
        Guest g = h.new Guest(false, 40008, 9);
        g.send(1234, 5678, TcpSegment.ACK_FLAG, 100, null, 0, 0, false);
        Seg r = h.expect(2000);
        assertEquals(TcpSegment.RST, r.flags());
        assertEquals(5678, r.seq());
        assertEquals(1, h.counter("tcp.no_flow"));
    }

    /** The guest sends and receives a few MB at once; both streams arrive intact. */
    private void bulkBothWays(boolean v6, int mtu, int size) throws Exception {
        bulkBothWays(v6, mtu, size, dev.sluice.core.link.Offloads.NONE);
    }

    private void bulkBothWays(boolean v6, int mtu, int size, dev.sluice.core.link.Offloads offloads) throws Exception {
        h = new TcpHarness(mtu, OutboundGate.ALLOW_ALL, new FlowBudget(10), TcpHarness.fastSettings());
        h.link.offloads = offloads;
        int port = listen(v6);
        byte[] up = random(size, 1);
        byte[] down = random(size, 2);
        CompletableFuture<Object> srv = serve(s -> {
            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return readAll(s.getInputStream());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            OutputStream out = s.getOutputStream();
            out.write(down);
            out.flush();
            s.shutdownOutput();
            return reader.get(30, TimeUnit.SECONDS);
        });
        Guest g = h.new Guest(v6, 40100, port);
        g.connect(0xfffff000); // wraps the sequence space early on
        int sent = 0;
        boolean finSent = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (!(g.gotFin && finSent && g.sndUna == g.sndNxt)) {
            assertTrue(System.nanoTime() < deadline, "transfer stalled: sent " + sent + " received " + g.received.size());
            // send what TcpFlows' window allows
            while (sent < size && (g.sndNxt - g.sndUna) < g.peerWnd) {
                int n = Math.min(Math.min(g.mss(), size - sent), g.peerWnd - (g.sndNxt - g.sndUna));
                if (n <= 0) {
                    break;
                }
                g.data(up, sent, n);
                sent += n;
            }
            if (sent == size && !finSent) {
                g.fin();
                finSent = true;
            }
            Seg s = h.poll(200);
            if (s == null) {
                g.ack(); // nudge: window update
                continue;
            }
            assertFalse(s.has(TcpSegment.RST), "unexpected reset " + s);
            assertTrue(s.payload().length <= g.mss(), "segment above the guest's MSS");
            int inFlightEnd = s.seq() + s.payload().length;
            assertTrue(TcpFlow.le(inFlightEnd, g.rcvNxt + g.myWindow), "sent beyond the guest's window");
            if (g.absorb(s)) {
                g.ack();
            }
        }
        byte[] atServer = (byte[]) srv.get(30, TimeUnit.SECONDS);
        assertArrayEquals(sha256(up), sha256(atServer), "guest -> host stream differs");
        assertArrayEquals(sha256(down), sha256(g.received.toByteArray()), "host -> guest stream differs");
        h.await(() -> h.flows.activeFlows() == 0, "flow freed");
    }

    @Test
    void offloadedChecksumsAndGsoSuperSegmentsCarryTheStreamIntactV4() throws Exception {
        bulkBothWays(false, 1500, 3 << 20, new dev.sluice.core.link.Offloads(true, 65549));
        assertTrue(h.link.offloaded.get() > 0, "data went through sendOffloaded");
        assertTrue(h.link.superFrames.get() > 0, "some segments went as GSO super-frames");
    }

    @Test
    void offloadedChecksumsWithoutGsoV6() throws Exception {
        bulkBothWays(true, 1500, 1 << 20, new dev.sluice.core.link.Offloads(true, 0));
        assertTrue(h.link.offloaded.get() > 0, "data went through sendOffloaded");
        assertEquals(0, h.link.superFrames.get());
    }

    @Test
    void aFullLinkParksTheFlowWithoutLossAndResumesWhenItDrains() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        byte[] down = random(200_000, 3);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write(down);
            s.getOutputStream().flush();
            return s.getInputStream().read();
        });
        Guest g = h.new Guest(false, 40012, port);
        h.link.writable = false;
        g.connect(1);
        assertNull(h.poll(800), "nothing sent while the link is full"); // several RTOs of the fast settings
        assertEquals(0, h.counter("tcp.retransmits"));
        h.link.writable = true;
        h.runOnLoop(() -> h.link.listeners.forEach(Runnable::run));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (g.received.size() < down.length) {
            assertTrue(System.nanoTime() < deadline, "stalled at " + g.received.size());
            Seg s = h.poll(200);
            if (s == null) {
                g.ack();
            } else if (g.absorb(s)) {
                g.ack();
            }
        }
        assertArrayEquals(down, g.received.toByteArray());
        assertEquals(0, h.counter("tcp.retransmits"));
        g.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void bulkBothWaysV4Mtu1500() throws Exception {
        bulkBothWays(false, 1500, 3 << 20);
    }

    @Test
    void bulkBothWaysV6Mtu65520() throws Exception {
        bulkBothWays(true, 65520, 8 << 20);
    }

    @Test
    void guestWindowIsRespectedWithoutScaling() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        byte[] down = random(200_000, 3);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write(down);
            s.getOutputStream().flush();
            return s.getInputStream().read();
        });
        Guest g = h.new Guest(false, 40009, port);
        // SYN without options: no window scaling, MSS 536
        g.sndNxt = 11;
        g.send(10, 0, TcpSegment.SYN, 4000, null, 0, 0, false);
        Seg sa = h.expect(5000);
        assertEquals(-1, sa.wscale(), "no window scale when the guest offered none");
        g.acceptSynAck(sa);
        g.send(g.sndNxt, g.rcvNxt, TcpSegment.ACK_FLAG, 4000, null, 0, 0, false);
        int base = g.rcvNxt;
        int maxEnd = base;
        Seg s;
        while ((s = h.poll(500)) != null) {
            assertTrue(s.payload().length <= 536, "MSS 536 by default");
            maxEnd = Math.max(maxEnd, s.seq() + s.payload().length);
        }
        assertTrue(TcpFlow.le(maxEnd, base + 4000), "never beyond the 4000-byte window");
        assertTrue(TcpFlow.gt(maxEnd, base + 4000 - 536), "the window is used (SWS avoidance may leave < 1 MSS)");
        // the guest takes it all and opens the window again: more arrives
        g.rcvNxt = maxEnd;
        g.send(g.sndNxt, g.rcvNxt, TcpSegment.ACK_FLAG, 4000, null, 0, 0, false);
        s = h.expect(2000);
        assertEquals(maxEnd, s.seq());
        g.rst();
        h.await(() -> h.flows.activeFlows() == 0, "reset frees the flow");
        srv.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void zeroWindowIsProbedAndReopened() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write(random(10_000, 4));
            s.getOutputStream().flush();
            return s.getInputStream().read();
        });
        Guest g = h.new Guest(false, 40010, port);
        g.myWindow = 0;
        g.connect(1);
        Seg probe = h.expect(3000);
        assertEquals(0, probe.payload().length, "no data into a zero window");
        assertEquals(TcpSegment.ACK_FLAG, probe.flags());
        assertTrue(TcpFlow.lt(probe.seq(), g.rcvNxt), "probe uses an old sequence number: " + probe);
        g.myWindow = 1 << 20;
        g.ack();
        Seg d = h.expect(2000);
        assertTrue(d.payload().length > 0);
        assertEquals(g.rcvNxt, d.seq());
        g.rst();
        srv.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void lostSegmentIsRetransmittedOnTimeout() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write("0123456789".getBytes());
            s.getOutputStream().flush();
            return s.getInputStream().read();
        });
        Guest g = h.new Guest(false, 40011, port);
        g.connect(1);
        Seg first = h.expect(3000);
        assertEquals("0123456789", new String(first.payload()));
        // "lost": not acknowledged. The same bytes come again after the RTO.
        Seg again = h.expect(3000);
        assertEquals(first.seq(), again.seq());
        assertArrayEquals(first.payload(), again.payload());
        assertTrue(h.counter("tcp.retransmits") >= 1);
        g.absorb(again);
        g.ack();
        assertNull(h.poll(600), "nothing more once acknowledged");
        g.fin();
        srv.get(10, TimeUnit.SECONDS);
    }

    @Test
    void threeDuplicateAcksTriggerFastRetransmit() throws Exception {
        // a long RTO, so only the duplicate ACKs can cause the retransmission
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(10), TcpSettings.defaults().withRto(
                java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(10), 6));
        int port = listen(false);
        byte[] down = random(8 * 1460, 5);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write(down);
            s.getOutputStream().flush();
            return s.getInputStream().read();
        });
        Guest g = h.new Guest(false, 40012, port);
        g.connect(1);
        // collect the first few segments, "lose" the first one
        Seg lost = h.expect(3000);
        int dups = 0;
        while (dups < 3) {
            Seg s = h.expect(3000);
            if (s.seq() == lost.seq()) {
                fail("retransmitted before the duplicate ACKs: " + s);
            }
            g.ack(); // ack = the lost segment's seq: a duplicate ACK
            dups++;
        }
        Seg re = null;
        for (int i = 0; i < 20; i++) {
            Seg s = h.expect(3000);
            if (s.seq() == lost.seq()) {
                re = s;
                break;
            }
        }
        assertTrue(re != null, "fast retransmit of the hole");
        assertArrayEquals(lost.payload(), re.payload());
        assertEquals(1, h.counter("tcp.fast_retransmits"));
        g.rst();
        srv.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void outOfOrderAndOverlappingGuestDataKeepTheStreamIntact() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> new String(readAll(s.getInputStream())));
        Guest g = h.new Guest(false, 40013, port);
        g.connect(1);
        int base = g.sndNxt;
        byte[] msg = "abcdefghijklmnopqrstuvwxyz".getBytes();
        // "klmno" ahead of a hole: dropped with a duplicate ACK
        g.send(base + 10, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 10, 5, false);
        Seg dup = h.expect(2000);
        assertEquals(base, dup.ack());
        assertEquals(1, h.counter("tcp.out_of_order"));
        // "abcdefgh", then "efghijklmnop" overlapping, then "a..z" all over again
        g.send(base, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 0, 8, false);
        g.send(base + 4, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 4, 12, false);
        g.send(base, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 0, 26, false);
        g.sndNxt = base + 26;
        g.fin();
        assertEquals("abcdefghijklmnopqrstuvwxyz", srv.get(10, TimeUnit.SECONDS));
    }

    @Test
    void heldOutOfOrderDataAndFinAreDeliveredOnceTheHoleFills() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> new String(readAll(s.getInputStream())));
        Guest g = h.new Guest(false, 40019, port);
        g.connect(1);
        int base = g.sndNxt;
        byte[] msg = "abcdefghijklmnopqrstuvwxyz".getBytes();
        // the tail with the FIN first, then the middle, then the head: two holes
        g.send(base + 20, g.rcvNxt, TcpSegment.ACK_FLAG | TcpSegment.FIN, g.windowField(), msg, 20, 6, false);
        g.send(base + 10, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 10, 10, false);
        assertEquals(base, h.expect(2000).ack(), "duplicate ACK for the hole");
        assertEquals(base, h.expect(2000).ack(), "duplicate ACK for the hole");
        g.send(base, g.rcvNxt, TcpSegment.ACK_FLAG, g.windowField(), msg, 0, 10, false);
        Seg a = h.expect(2000);
        assertEquals(base + 27, a.ack(), "everything held, FIN included, is acknowledged at once");
        assertEquals("abcdefghijklmnopqrstuvwxyz", srv.get(10, TimeUnit.SECONDS));
        assertEquals(2, h.counter("tcp.out_of_order"));
    }

    @Test
    void guestHalfCloseKeepsHostDataFlowing() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            byte[] req = readAll(s.getInputStream()); // until the guest's FIN
            s.getOutputStream().write(("got " + new String(req)).getBytes());
            s.getOutputStream().flush();
            s.close();
            return null;
        });
        Guest g = h.new Guest(false, 40014, port);
        g.connect(1);
        g.data("request".getBytes(), 0, 7);
        g.fin();
        while (!g.gotFin) {
            Seg s = h.expect(5000);
            if (g.absorb(s)) {
                g.ack();
            }
        }
        assertEquals("got request", g.received.toString());
        srv.get(10, TimeUnit.SECONDS);
        h.await(() -> h.flows.activeFlows() == 0, "flow freed");
    }

    @Test
    void hostHalfCloseKeepsGuestDataFlowing() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            s.getOutputStream().write("banner".getBytes());
            s.shutdownOutput();
            return new String(readAll(s.getInputStream()));
        });
        Guest g = h.new Guest(false, 40015, port);
        g.connect(1);
        while (!g.gotFin) {
            Seg s = h.expect(5000);
            if (g.absorb(s)) {
                g.ack();
            }
        }
        assertEquals("banner", g.received.toString());
        assertEquals(1, h.activeFlows(), "host EOF alone does not end the flow");
        g.data("after-fin".getBytes(), 0, 9);
        g.data(" more".getBytes(), 0, 5);
        g.fin();
        assertEquals("after-fin more", srv.get(10, TimeUnit.SECONDS));
        h.await(() -> h.flows.activeFlows() == 0, "flow freed");
    }

    @Test
    void guestResetResetsTheHostConnection() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            try {
                return s.getInputStream().read();
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        Guest g = h.new Guest(false, 40016, port);
        g.connect(1);
        g.rst();
        Object r = srv.get(10, TimeUnit.SECONDS);
        assertTrue(String.valueOf(r).contains("reset"), "host peer sees a reset, got " + r);
        assertEquals(0, h.activeFlows());
    }

    @Test
    void hostResetResetsTheGuest() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        // The server resets only once the guest's handshake is done: a reset
        // racing the SYN-ACK legitimately reaches the guest as RST instead.
        java.util.concurrent.CountDownLatch established = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Object> srv = serve(s -> {
            established.await(10, TimeUnit.SECONDS);
            s.setSoLinger(true, 0);
            s.close();
            return null;
        });
        Guest g = h.new Guest(false, 40017, port);
        g.connect(1);
        established.countDown();
        srv.get(10, TimeUnit.SECONDS);
        Seg r = h.expect(5000);
        assertTrue(r.has(TcpSegment.RST), r.toString());
        assertEquals(g.rcvNxt, r.seq());
        h.await(() -> h.flows.activeFlows() == 0, "flow freed");
    }

    @Test
    void linkDownResetsEverything() throws Exception {
        h = new TcpHarness();
        int port = listen(false);
        CompletableFuture<Object> srv = serve(s -> {
            try {
                return s.getInputStream().read();
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        Guest g = h.new Guest(false, 40018, port);
        g.connect(1);
        h.runOnLoop(h.flows::onLinkDown);
        assertEquals(0, h.activeFlows());
        assertEquals(0, h.budget.used());
        assertTrue(String.valueOf(srv.get(10, TimeUnit.SECONDS)).contains("reset"));
    }

    // ---- inbound (port forwarding) ----

    /** A netty listener on the harness loop whose accepted connections become inbound flows to guest port 22. */
    private Channel forwardTo22(boolean v6) throws Exception {
        return new ServerBootstrap().group(h.loop).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        InetSocketAddress peer = ch.remoteAddress();
                        h.flows.acceptInbound(ch,
                                new InetSocketAddress(TcpHarness.ip(v6 ? TcpHarness.GUEST6 : TcpHarness.GUEST4), 22),
                                new InetSocketAddress(TcpHarness.ip(v6 ? TcpHarness.GW6 : TcpHarness.GW4),
                                        peer.getPort()));
                    }
                })
                .bind(InetAddress.getByName(v6 ? "::1" : "127.0.0.1"), 0).sync().channel();
    }

    private void inboundRoundTrip(boolean v6) throws Exception {
        h = new TcpHarness();
        Channel listener = forwardTo22(v6);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> {
            try (Socket c = new Socket(InetAddress.getByName(v6 ? "::1" : "127.0.0.1"), port)) {
                c.setSoTimeout(10_000);
                c.getOutputStream().write("ping".getBytes());
                c.shutdownOutput();
                return new String(readAll(c.getInputStream()));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Seg syn = h.expect(5000);
        assertEquals(TcpSegment.SYN, syn.flags());
        assertEquals(22, syn.dstPort());
        assertArrayEquals(v6 ? TcpHarness.GW6 : TcpHarness.GW4, syn.src());
        assertArrayEquals(v6 ? TcpHarness.GUEST6 : TcpHarness.GUEST4, syn.dst());
        assertEquals(1500 - (v6 ? 60 : 40), syn.mss());
        assertTrue(syn.wscale() >= 0);
        Guest g = h.new Guest(v6, 22, syn.srcPort());
        g.rcvNxt = syn.seq() + 1;
        g.peerWscale = syn.wscale();
        g.sndNxt = 7001;
        g.send(7000, g.rcvNxt, TcpSegment.SYN | TcpSegment.ACK_FLAG, 65535, null, 0, 0, true);
        // the host client's "ping" and its FIN arrive
        while (!g.gotFin) {
            Seg s = h.expect(5000);
            if (g.absorb(s)) {
                g.ack();
            }
        }
        assertEquals("ping", g.received.toString());
        g.data("pong".getBytes(), 0, 4);
        g.fin();
        assertEquals("pong", client.get(10, TimeUnit.SECONDS));
        h.await(() -> h.flows.activeFlows() == 0, "inbound flow freed");
        assertEquals(1, h.counter("tcp.inbound"));
        listener.close().sync();
    }

    @Test
    void inboundConnectionBecomesAFlowToTheGuestV4() throws Exception {
        inboundRoundTrip(false);
    }

    @Test
    void inboundConnectionBecomesAFlowToTheGuestV6() throws Exception {
        inboundRoundTrip(true);
    }

    @Test
    void inboundRefusedByTheGuestResetsTheHostClient() throws Exception {
        h = new TcpHarness();
        Channel listener = forwardTo22(false);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> {
            try (Socket c = new Socket("127.0.0.1", port)) {
                c.setSoTimeout(10_000);
                return String.valueOf(c.getInputStream().read());
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        Seg syn = h.expect(5000);
        Guest g = h.new Guest(false, 22, syn.srcPort());
        // what a guest with nothing on port 22 answers
        g.send(0, syn.seq() + 1, TcpSegment.RST | TcpSegment.ACK_FLAG, 0, null, 0, 0, false);
        assertTrue(client.get(10, TimeUnit.SECONDS).contains("reset"));
        assertEquals(0, h.activeFlows());
        listener.close().sync();
    }

    @Test
    void inboundGuestSilenceTimesOut() throws Exception {
        h = new TcpHarness(1500, OutboundGate.ALLOW_ALL, new FlowBudget(10),
                TcpHarness.fastSettings().withTimeouts(java.time.Duration.ofSeconds(10), 1,
                        java.time.Duration.ofHours(2), java.time.Duration.ofSeconds(60)));
        Channel listener = forwardTo22(false);
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> {
            try (Socket c = new Socket("127.0.0.1", port)) {
                c.setSoTimeout(10_000);
                return String.valueOf(c.getInputStream().read());
            } catch (IOException e) {
                return e.getMessage();
            }
        });
        Seg syn = h.expect(5000);
        Seg again = h.expect(5000);
        assertEquals(syn.seq(), again.seq(), "SYN retransmitted");
        assertEquals(TcpSegment.SYN, again.flags());
        String r = client.get(10, TimeUnit.SECONDS);
        assertTrue(r.contains("reset") || r.equals("-1"), r);
        h.await(() -> h.flows.activeFlows() == 0, "flow given up");
        listener.close().sync();
    }
}
