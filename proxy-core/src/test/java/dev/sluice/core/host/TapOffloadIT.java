package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.Counters;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.TapLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A tap opened with the virtio-net header and offloads, driven through
 * {@link TapLink} against the real kernel in a namespace of its own (root):
 * a UDP frame with a partial checksum and a TCP GSO super-frame sent with
 * {@code sendOffloaded} reach the namespace's sockets intact, and the
 * kernel's own frames come back partial and as super-frames, taken whole.
 * Here we play a TCP peer by hand: 10.77.0.1 (us) talks to 10.77.0.2 (the namespace).
 */
class TapOffloadIT {
    private static final byte[] OUR_MAC = {0x02, 0, 0, 0, 0, 0x01};
    private static final byte[] US = {10, 77, 0, 1};
    private static final byte[] NS = {10, 77, 0, 2};

    record Frame(byte[] bytes, int flags) {
    }

    @Test
    void offloadedFramesBothWays() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (TestNetns netns = new TestNetns()) {
            String g = netns.create("tapo");
            int nsFd = Netns.open(g);
            TapLink link = null;
            try {
                TapLink.Device tap = TapLink.open((n, v) -> Tun.openTap(nsFd, n, v), "tap0");
                assertTrue(tap.vnetHdr(), "IFF_VNET_HDR and TUNSETOFFLOAD accepted");
                assertTrue(TestNetns.ip(g, "-d", "link", "show", "tap0").contains("vnet_hdr on"));
                assertEquals(TapOffload.HDR_LEN, TapOffload.headerSize(tap.fd()));
                TestNetns.ip(g, "link", "set", "tap0", "address", "02:00:00:00:00:02", "mtu", "1500", "up");
                TestNetns.ip(g, "addr", "add", "10.77.0.2/24", "dev", "tap0");
                TestNetns.ip(g, "neigh", "replace", "10.77.0.1", "lladdr", "02:00:00:00:00:01", "dev", "tap0",
                        "nud", "permanent");
                IoEventLoop loop = (IoEventLoop) group.next();
                Counters counters = new Counters();
                link = new TapLink(loop, PooledByteBufAllocator.DEFAULT, tap, "tap0", 1500, counters,
                        null);
                assertEquals(new dev.sluice.core.link.Offloads(true, 65535 + 14), link.offloads());
                BlockingQueue<Frame> rx = new LinkedBlockingQueue<>();
                link.setHandler(new FrameHandler() {
                    @Override
                    public void onFrame(ByteBuf frame) {
                        onFrame(frame, 0);
                    }

                    @Override
                    public void onFrame(ByteBuf frame, int flags) {
                        byte[] b = new byte[frame.readableBytes()];
                        frame.getBytes(frame.readerIndex(), b);
                        rx.add(new Frame(b, flags));
                    }
                });
                link.start();
                TapLink l = link;

                // UDP with a partial checksum
                DatagramChannel udp = Netns.callIn(nsFd,
                        () -> DatagramChannel.open().bind(new InetSocketAddress("10.77.0.2", 5556)));
                byte[] dgram = new byte[1000];
                new Random(1).nextBytes(dgram);
                loop.submit(() -> l.sendOffloaded(udpFrame(dgram), 0)).sync();
                ByteBuffer got = ByteBuffer.allocate(2000);
                udp.configureBlocking(false);
                for (int i = 0; i < 100 && udp.receive(got) == null; i++) {
                    Thread.sleep(50);
                }
                byte[] gotBytes = new byte[got.flip().remaining()];
                got.get(gotBytes);
                assertArrayEquals(dgram, gotBytes, "the UDP datagram (link counters: tx " + counters.get("link.tx_frames").value()
                        + ", dropped " + counters.get("link.tx_dropped").value() + ")");
                udp.close();

                // TCP: handshake by hand, then one GSO super-frame of three segments
                ServerSocketChannel server = Netns.callIn(nsFd,
                        () -> ServerSocketChannel.open().bind(new InetSocketAddress("10.77.0.2", 5555)));
                int isn = 1000;
                loop.submit(() -> l.send(tcpFrame(isn, 0, 0x02, new byte[0], true))).sync();
                Frame synAck = awaitTcp(rx, 0x12);
                assertNotNull(synAck, "SYN-ACK from the namespace");
                long serverIsn = u32(synAck.bytes, 14 + 20 + 4);
                int ack = (int) (serverIsn + 1);
                loop.submit(() -> l.send(tcpFrame(isn + 1, ack, 0x10, new byte[0], true))).sync();
                server.configureBlocking(false);
                SocketChannel conn = null;
                for (int i = 0; i < 100 && conn == null; i++) {
                    conn = server.accept();
                    if (conn == null) {
                        Thread.sleep(50);
                    }
                }
                assertNotNull(conn, "the handshake completed");
                conn.configureBlocking(true);
                byte[] data = new byte[3 * 1448];
                new Random(2).nextBytes(data);
                loop.submit(() -> l.sendOffloaded(tcpFrame(isn + 1, ack, 0x18, data, false), 1448)).sync();
                ByteBuffer in = ByteBuffer.allocate(data.length);
                conn.configureBlocking(false);
                for (int i = 0; i < 200 && in.hasRemaining(); i++) {
                    if (conn.read(in) == 0) {
                        Thread.sleep(25);
                    }
                }
                assertArrayEquals(data, in.array(), "the super-frame's payload, in order");
                assertTrue(counters.get("link.tx_gso_frames").value() >= 1);

                // The namespace's answer: more than one MTU of data, to us as GSO super-frames
                byte[] back = new byte[16 * 1448];
                new Random(3).nextBytes(back);
                ByteBuffer out = ByteBuffer.wrap(back);
                for (int i = 0; i < 100 && out.hasRemaining(); i++) {
                    if (conn.write(out) == 0) {
                        Thread.sleep(20); // only the first window leaves: we never ACK it
                    }
                }
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (seen.size() < back.length && System.nanoTime() < deadline) {
                    Frame f = rx.poll(100, TimeUnit.MILLISECONDS);
                    if (f == null || f.bytes.length < 54 || f.bytes[23] != 6) {
                        continue;
                    }
                    long seq = u32(f.bytes, 14 + 20 + 4);
                    int doff = ((f.bytes[14 + 20 + 12] >> 4) & 0xf) * 4;
                    int payload = f.bytes.length - 14 - 20 - doff;
                    if (payload > 0 && seq == serverIsn + 1 + seen.size()) {
                        assertEquals(FrameHandler.RX_CSUM_VALID, f.flags, "kernel TCP leaves its checksum to us");
                        seen.write(f.bytes, 14 + 20 + doff, payload);
                    }
                }
                byte[] seenBytes = seen.toByteArray();
                assertTrue(seenBytes.length > 1448, "more than one segment within the initial window");
                byte[] prefix = new byte[seenBytes.length];
                System.arraycopy(back, 0, prefix, 0, prefix.length);
                assertArrayEquals(prefix, seenBytes);
                assertTrue(counters.get("link.rx_gso_frames").value() >= 1, "super-frames from the kernel");
                assertEquals(0, counters.get("link.rx_bad_length").value());
                assertEquals(0, counters.get("link.tx_dropped").value());
                conn.close();
                server.close();
            } finally {
                if (link != null) {
                    link.close();
                }
                Fds.close(nsFd);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static Frame awaitTcp(BlockingQueue<Frame> rx, int flags) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            Frame f = rx.poll(100, TimeUnit.MILLISECONDS);
            if (f != null && f.bytes.length >= 54 && f.bytes[23] == 6 && (f.bytes[14 + 20 + 13] & 0x3f) == flags) {
                return f;
            }
        }
        return null;
    }

    private static long u32(byte[] b, int off) {
        return ((b[off] & 0xffL) << 24) | ((b[off + 1] & 0xffL) << 16) | ((b[off + 2] & 0xffL) << 8) | (b[off + 3] & 0xffL);
    }

    private static ByteBuf ipv4(int proto, int l4Len) {
        ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(14 + 20 + l4Len);
        f.writeBytes(new byte[] {0x02, 0, 0, 0, 0, 0x02}); // tap0's address: the kernel drops other hosts' frames
        f.writeBytes(OUR_MAC);
        f.writeShort(0x0800);
        f.writeByte(0x45).writeByte(0).writeShort(20 + l4Len).writeShort(0).writeShort(0x4000);
        f.writeByte(64).writeByte(proto).writeShort(0).writeBytes(US).writeBytes(NS);
        f.setShort(14 + 10, ~fold(sum(f, 14, 20)) & 0xffff);
        return f;
    }

    /** The pseudo-header sum, folded, not complemented: what a CHECKSUM_PARTIAL field holds. */
    private static int pseudo(int proto, int l4Len) {
        long s = ((US[0] & 0xff) << 8 | (US[1] & 0xff)) + ((US[2] & 0xff) << 8 | (US[3] & 0xff))
                + ((NS[0] & 0xff) << 8 | (NS[1] & 0xff)) + ((NS[2] & 0xff) << 8 | (NS[3] & 0xff)) + proto + l4Len;
        return fold(s);
    }

    private static ByteBuf udpFrame(byte[] payload) {
        int l4 = 8 + payload.length;
        ByteBuf f = ipv4(17, l4);
        f.writeShort(4000).writeShort(5556).writeShort(l4).writeShort(pseudo(17, l4));
        f.writeBytes(payload);
        return f;
    }

    private static ByteBuf tcpFrame(int seq, int ack, int flags, byte[] payload, boolean fullChecksum) {
        boolean syn = (flags & 0x02) != 0;
        int hl = syn ? 24 : 20;
        int l4 = hl + payload.length;
        ByteBuf f = ipv4(6, l4);
        f.writeShort(40000).writeShort(5555).writeInt(seq).writeInt(ack);
        f.writeByte((hl / 4) << 4).writeByte(flags).writeShort(65535).writeShort(pseudo(6, l4)).writeShort(0);
        if (syn) {
            f.writeByte(2).writeByte(4).writeShort(1460); // MSS
        }
        f.writeBytes(payload);
        if (fullChecksum) {
            f.setShort(34 + 16, 0);
            f.setShort(34 + 16, ~fold(pseudo(6, l4) + sum(f, 34, l4)) & 0xffff);
        }
        return f;
    }

    private static long sum(ByteBuf b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            s += b.getUnsignedShort(off + i);
        }
        if ((len & 1) != 0) {
            s += b.getUnsignedByte(off + len - 1) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }
}
