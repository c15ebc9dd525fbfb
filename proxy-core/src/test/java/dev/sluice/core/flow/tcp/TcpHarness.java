package dev.sluice.core.flow.tcp;

import dev.sluice.core.flow.DeviceBinder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.link.Offloads;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Drives {@link TcpFlows} on a real epoll event loop with hand-built guest
 * segments; the guest link collects what TcpFlows sends. Host sockets are
 * real (servers on loopback). The guest sees 10.0.2.2 / fd00::2 as the
 * "gateway", which the mapper sends to 127.0.0.1 / ::1.
 */
final class TcpHarness implements AutoCloseable {
    static final long OUR_MAC = GuestConfig.DEFAULT_OUR_MAC;
    static final long GUEST_MAC = 0x5254_0012_3456L;
    static final byte[] GUEST4 = {10, 0, 2, 15};
    static final byte[] GW4 = {10, 0, 2, 2};
    static final byte[] GUEST6 = addr("fd00::15");
    static final byte[] GW6 = addr("fd00::2");

    final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    final IoEventLoop loop = group.next();
    final CollectingLink link = new CollectingLink();
    final Counters counters = new Counters();
    final FlowBudget budget;
    final TcpFlows flows;
    final int mtu;

    TcpHarness(int mtu, OutboundGate gate, FlowBudget budget, TcpSettings settings) {
        this(mtu, gate, budget, settings, DeviceBinder.UNSUPPORTED);
    }

    TcpHarness(int mtu, OutboundGate gate, FlowBudget budget, TcpSettings settings, DeviceBinder binder) {
        this.mtu = mtu;
        this.budget = budget;
        GuestConfig gc = new GuestConfig(OUR_MAC, GUEST_MAC, mtu, true, (Inet4Address) ip(GUEST4), 24,
                (Inet4Address) ip(GW4), List.of(), true, (Inet6Address) ip(GUEST6), 64, (Inet6Address) ip(GW6),
                (Inet6Address) ip(addr("fe80::1")), List.of(), List.of(), true, true, true, true);
        SluiceContext ctx = new SluiceContext(gc, new GuestState(GUEST_MAC), counters, loop, link,
                PooledByteBufAllocator.DEFAULT);
        AddressMapper mapper = new AddressMapper() {
            @Override
            public InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto) {
                if (dst.equals(ip(GW4))) {
                    return ip(new byte[] {127, 0, 0, 1});
                }
                if (dst.equals(ip(GW6))) {
                    return ip(addr("::1"));
                }
                return dst;
            }

            @Override
            public InetAddress guestVisibleSource(InetAddress hostPeer) {
                return hostPeer.isLoopbackAddress() ? ip(hostPeer instanceof Inet6Address ? GW6 : GW4) : hostPeer;
            }
        };
        this.flows = onLoop(() -> new TcpFlows(ctx, mapper, gate, budget, settings, binder));
    }

    TcpHarness() {
        this(1500, OutboundGate.ALLOW_ALL, new FlowBudget(1000), fastSettings());
    }

    /** Defaults with short timers so retransmission tests do not crawl. */
    static TcpSettings fastSettings() {
        return TcpSettings.defaults().withRto(java.time.Duration.ofMillis(200), java.time.Duration.ofMillis(100),
                java.time.Duration.ofSeconds(2), 6);
    }

    static byte[] addr(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static InetAddress ip(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    <T> T onLoop(Callable<T> c) {
        try {
            return loop.submit(c).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    void runOnLoop(Runnable r) {
        onLoop(() -> {
            r.run();
            return null;
        });
    }

    int activeFlows() {
        return onLoop(flows::activeFlows);
    }

    long counter(String name) {
        return counters.get(name).value();
    }

    @Override
    public void close() {
        runOnLoop(flows::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        link.drain();
    }

    // ---------------------------------------------------------------

    /**
     * The guest link: keeps a copy of every frame sent to the guest. Offloads
     * and writability are configurable: offloaded frames are completed and
     * cut as a Linux guest behind a tap would (checksum from the
     * pseudo-header sum in the field, GSO super-segments into gsoSize pieces).
     */
    static final class CollectingLink implements GuestLink {
        final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        volatile boolean up = true;
        volatile Offloads offloads = Offloads.NONE;
        volatile boolean writable = true;
        final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger offloaded = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger superFrames = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void send(ByteBuf frame) {
            try {
                if (up) {
                    byte[] b = new byte[frame.readableBytes()];
                    frame.getBytes(frame.readerIndex(), b);
                    frames.add(b);
                }
            } finally {
                frame.release();
            }
        }

        @Override
        public Offloads offloads() {
            return offloads;
        }

        @Override
        public void sendOffloaded(ByteBuf frame, int gsoSize) {
            try {
                assertTrue(offloads.checksum(), "sendOffloaded without offloads");
                offloaded.incrementAndGet();
                byte[] b = new byte[frame.readableBytes()];
                frame.getBytes(frame.readerIndex(), b);
                if (gsoSize > 0) {
                    assertTrue(b.length <= offloads.maxFrame(), "super-frame over maxFrame");
                    superFrames.incrementAndGet();
                }
                for (byte[] piece : cut(b, gsoSize)) {
                    if (up) {
                        frames.add(piece);
                    }
                }
            } finally {
                frame.release();
            }
        }

        /** What the guest's kernel does with an offloaded frame: segments it, completes the checksums. */
        static List<byte[]> cut(byte[] frame, int gsoSize) {
            boolean v6 = ((frame[12] & 0xff) << 8 | (frame[13] & 0xff)) == EthernetFrame.TYPE_IPV6;
            int ip = EthernetFrame.HEADER_LEN;
            int l4 = ip + (v6 ? Ipv6Packet.HEADER_LEN : Ipv4Packet.MIN_HEADER_LEN);
            int hl = ((frame[l4 + TcpSegment.DATA_OFF] & 0xff) >>> 4) * 4;
            int pay = frame.length - l4 - hl;
            int step = gsoSize > 0 ? gsoSize : Math.max(pay, 1);
            java.util.ArrayList<byte[]> out = new java.util.ArrayList<>();
            ByteBuf src = Unpooled.wrappedBuffer(frame);
            int seq0 = src.getInt(l4 + TcpSegment.SEQ);
            int flags = src.getUnsignedByte(l4 + TcpSegment.FLAGS);
            for (int o = 0; o < Math.max(pay, 1); o += step) {
                int n = Math.min(step, pay - o);
                boolean last = o + n >= pay;
                ByteBuf b = Unpooled.buffer(l4 + hl + n);
                b.writeBytes(frame, 0, l4 + hl);
                b.writeBytes(frame, l4 + hl + o, n);
                int tcpLen = hl + n;
                b.setInt(l4 + TcpSegment.SEQ, seq0 + o);
                b.setByte(l4 + TcpSegment.FLAGS, last ? flags : flags & ~(TcpSegment.FIN | TcpSegment.PSH));
                long pseudo;
                if (v6) {
                    b.setShort(ip + Ipv6Packet.PAYLOAD_LEN, tcpLen);
                    pseudo = Checksum.pseudoV6(b, ip, Ipv6Packet.NH_TCP, tcpLen);
                } else {
                    b.setShort(ip + Ipv4Packet.TOTAL_LEN, Ipv4Packet.MIN_HEADER_LEN + tcpLen);
                    b.setShort(ip + 10, 0);
                    b.setShort(ip + 10, Checksum.compute(b, ip, Ipv4Packet.MIN_HEADER_LEN));
                    pseudo = Checksum.pseudoV4(b.getInt(ip + Ipv4Packet.SRC), b.getInt(ip + Ipv4Packet.DST),
                            Ipv4Packet.PROTO_TCP, tcpLen);
                }
                // the field held the pseudo-header sum of the whole frame: start over for this piece
                b.setShort(l4 + TcpSegment.CHECKSUM, 0);
                if (gsoSize == 0) {
                    assertEquals(Checksum.fold(pseudo), src.getUnsignedShort(l4 + TcpSegment.CHECKSUM),
                            "the field holds the folded pseudo-header sum");
                }
                b.setShort(l4 + TcpSegment.CHECKSUM, Checksum.finish(Checksum.add(pseudo, b, l4, tcpLen)));
                byte[] a = new byte[b.readableBytes()];
                b.getBytes(0, a);
                out.add(a);
            }
            return out;
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        @Override
        public void addWritabilityListener(Runnable listener) {
            listeners.add(listener);
        }

        @Override
        public void flush() {
        }

        @Override
        public boolean isUp() {
            return up;
        }

        void drain() {
            frames.clear();
        }
    }

    /** A segment TcpFlows sent to the guest, checked and parsed. */
    record Seg(boolean v6, byte[] src, byte[] dst, int srcPort, int dstPort, int seq, int ack, int flags, int window,
               int mss, int wscale, byte[] payload) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        int seqLen() {
            return payload.length + (has(TcpSegment.SYN) ? 1 : 0) + (has(TcpSegment.FIN) ? 1 : 0);
        }

        @Override
        public String toString() {
            StringBuilder f = new StringBuilder();
            if (has(TcpSegment.SYN)) {
                f.append('S');
            }
            if (has(TcpSegment.FIN)) {
                f.append('F');
            }
            if (has(TcpSegment.RST)) {
                f.append('R');
            }
            if (has(TcpSegment.PSH)) {
                f.append('P');
            }
            if (has(TcpSegment.ACK_FLAG)) {
                f.append('.');
            }
            return "[" + f + "] seq=" + Integer.toUnsignedString(seq) + " ack=" + Integer.toUnsignedString(ack)
                    + " win=" + window + " len=" + payload.length + " " + srcPort + ">" + dstPort;
        }
    }

    /** Parses a frame to the guest; asserts its Ethernet, IP and TCP headers and checksums are right. */
    Seg parse(byte[] bytes) {
        ByteBuf f = Unpooled.wrappedBuffer(bytes);
        EthernetFrame eth = new EthernetFrame();
        assertTrue(eth.wrap(f, 0, bytes.length));
        assertEquals(GUEST_MAC, eth.dst());
        assertEquals(OUR_MAC, eth.src());
        TcpSegment t = new TcpSegment();
        long pseudo;
        byte[] src;
        byte[] dst;
        boolean v6 = eth.etherType() == EthernetFrame.TYPE_IPV6;
        if (v6) {
            Ipv6Packet ip = new Ipv6Packet();
            assertTrue(ip.wrap(f, 14, bytes.length - 14));
            assertEquals(Ipv6Packet.NH_TCP, ip.upperLayer());
            assertTrue(ip.upperLayerLength() + 40 <= mtu, "frame over the MTU");
            assertTrue(t.wrap(f, ip.upperLayerOffset(), ip.upperLayerLength()));
            pseudo = ip.pseudoHeaderSum();
            src = new byte[16];
            dst = new byte[16];
            ip.srcBytes(src);
            ip.dstBytes(dst);
        } else {
            assertEquals(EthernetFrame.TYPE_IPV4, eth.etherType());
            Ipv4Packet ip = new Ipv4Packet();
            assertTrue(ip.wrap(f, 14, bytes.length - 14));
            assertTrue(ip.verifyChecksum());
            assertEquals(Ipv4Packet.PROTO_TCP, ip.protocol());
            assertTrue(ip.totalLength() <= mtu, "frame over the MTU");
            assertTrue(t.wrap(f, ip.payloadOffset(), ip.payloadLength()));
            pseudo = ip.pseudoHeaderSum();
            src = new byte[4];
            dst = new byte[4];
            f.getBytes(14 + Ipv4Packet.SRC, src);
            f.getBytes(14 + Ipv4Packet.DST, dst);
        }
        assertTrue(t.verifyChecksum(pseudo), "bad TCP checksum from TcpFlows");
        byte[] payload = new byte[t.payloadLength()];
        f.getBytes(t.payloadOffset(), payload);
        return new Seg(v6, src, dst, t.srcPort(), t.dstPort(), t.seq(), t.ack(), t.flags(), t.window(), t.mss(),
                t.windowScale(), payload);
    }

    /** Next segment to the guest, or null after {@code ms}. */
    Seg poll(long ms) {
        try {
            byte[] b = link.frames.poll(ms, TimeUnit.MILLISECONDS);
            return b == null ? null : parse(b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Seg expect(long ms) {
        Seg s = poll(ms);
        assertNotNull(s, "expected a segment to the guest");
        return s;
    }

    /** Waits (bounded) for a condition evaluated on the loop. */
    void await(Callable<Boolean> cond, String what) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (onLoop(cond)) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    // ---------------------------------------------------------------

    /**
     * The guest's end of one connection, built segment by segment. Methods
     * are called from the test thread; delivery runs on the loop.
     */
    final class Guest {
        final boolean v6;
        final byte[] me;
        final byte[] peer;
        final int myPort;
        final int peerPort;
        int sndNxt;
        int sndUna;
        int rcvNxt;
        int peerWnd;
        int peerWscale;
        int myWscale = 7;
        int myWindow = 1 << 20;
        int peerMss;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        boolean gotFin;
        boolean gotRst;

        Guest(boolean v6, int myPort, int peerPort) {
            this.v6 = v6;
            this.me = v6 ? GUEST6 : GUEST4;
            this.peer = v6 ? GW6 : GW4;
            this.myPort = myPort;
            this.peerPort = peerPort;
        }

        int mss() {
            return mtu - (v6 ? 60 : 40);
        }

        /** Delivers a guest segment to TcpFlows (on the loop). */
        void send(int seq, int ack, int flags, int window, byte[] payload, int payOff, int payLen, boolean synOptions) {
            int optLen = synOptions ? 4 + 4 + 4 + 12 : 0;
            int tcpLen = 20 + optLen + payLen;
            int ipHdr = v6 ? 40 : 20;
            int len = 14 + ipHdr + tcpLen;
            ByteBuf f = Unpooled.buffer(len);
            f.writerIndex(len);
            EthernetFrame.emit(f, 0, OUR_MAC, GUEST_MAC, v6 ? EthernetFrame.TYPE_IPV6 : EthernetFrame.TYPE_IPV4);
            long pseudo;
            if (v6) {
                Ipv6Packet.emit(f, 14, me, peer, Ipv6Packet.NH_TCP, tcpLen, 64);
                pseudo = Checksum.pseudoV6(f, 14, Ipv6Packet.NH_TCP, tcpLen);
            } else {
                Ipv4Packet.emit(f, 14, Unpooled.wrappedBuffer(me).getInt(0), Unpooled.wrappedBuffer(peer).getInt(0),
                        Ipv4Packet.PROTO_TCP, tcpLen, 64, 0);
                pseudo = Checksum.pseudoV4(f.getInt(14 + 12), f.getInt(14 + 16), 6, tcpLen);
            }
            int t = 14 + ipHdr;
            TcpSegment.emitHeader(f, t, myPort, peerPort, seq, ack, 20 + optLen, flags, window);
            int p = t + 20;
            if (synOptions) {
                // like Linux: MSS, SACK-permitted, timestamps, NOP, window scale
                p = TcpSegment.emitMss(f, p, mss());
                p = TcpSegment.emitSackPermitted(f, p);
                p = TcpSegment.emitTimestamps(f, p, 12345, 0);
                p = TcpSegment.emitWindowScale(f, p, myWscale);
            }
            if (payLen > 0) {
                f.setBytes(p, payload, payOff, payLen);
            }
            TcpSegment.fillChecksum(f, t, tcpLen, pseudo);
            int l4Off = t;
            runOnLoop(() -> flows.onPacket(f, 14, v6, l4Off, tcpLen));
        }

        int windowField() {
            return Math.min(0xffff, myWindow >>> myWscale);
        }

        void syn(int isn) {
            sndNxt = isn + 1;
            sndUna = isn;
            send(isn, 0, TcpSegment.SYN, 64240, null, 0, 0, true);
        }

        /** Opens the connection: SYN, SYN-ACK, ACK. Returns the SYN-ACK. */
        Seg connect(int isn) {
            syn(isn);
            Seg sa = expect(5000);
            assertTrue(sa.has(TcpSegment.SYN) && sa.has(TcpSegment.ACK_FLAG), "SYN-ACK expected, got " + sa);
            assertEquals(isn + 1, sa.ack());
            acceptSynAck(sa);
            ack();
            return sa;
        }

        void acceptSynAck(Seg sa) {
            rcvNxt = sa.seq() + 1;
            sndUna = sa.ack();
            peerWscale = sa.wscale() < 0 ? 0 : sa.wscale();
            peerWnd = sa.window();
            peerMss = sa.mss();
        }

        void ack() {
            send(sndNxt, rcvNxt, TcpSegment.ACK_FLAG, windowField(), null, 0, 0, false);
        }

        void data(byte[] b, int off, int len) {
            send(sndNxt, rcvNxt, TcpSegment.ACK_FLAG | TcpSegment.PSH, windowField(), b, off, len, false);
            sndNxt += len;
        }

        void fin() {
            send(sndNxt, rcvNxt, TcpSegment.ACK_FLAG | TcpSegment.FIN, windowField(), null, 0, 0, false);
            sndNxt++;
        }

        void rst() {
            send(sndNxt, rcvNxt, TcpSegment.RST | TcpSegment.ACK_FLAG, 0, null, 0, 0, false);
        }

        /**
         * Takes in one segment from TcpFlows like a receiver would: in-order
         * data appended, ACK/window noted. Returns true if it carried new data or FIN.
         */
        boolean absorb(Seg s) {
            if (s.has(TcpSegment.RST)) {
                gotRst = true;
                return false;
            }
            if (s.has(TcpSegment.ACK_FLAG) && TcpFlow.gt(s.ack(), sndUna)) {
                sndUna = s.ack();
            }
            if (s.has(TcpSegment.ACK_FLAG)) {
                peerWnd = s.window() << peerWscale;
            }
            boolean fresh = false;
            if (s.payload().length > 0 && s.seq() == rcvNxt) {
                received.write(s.payload(), 0, s.payload().length);
                rcvNxt += s.payload().length;
                fresh = true;
            }
            if (s.has(TcpSegment.FIN) && s.seq() + s.payload().length == rcvNxt && !gotFin) {
                rcvNxt++;
                gotFin = true;
                fresh = true;
            }
            return fresh;
        }
    }
}
