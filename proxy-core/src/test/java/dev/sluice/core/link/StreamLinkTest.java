package dev.sluice.core.link;

import dev.sluice.core.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The QEMU stream framing against a real UNIX socket client. */
class StreamLinkTest {
    @TempDir
    Path dir;
    private MultiThreadIoEventLoopGroup group;
    private StreamLink link;
    private final Counters counters = new Counters();
    private final AtomicInteger frames = new AtomicInteger();
    private final CountDownLatch finished = new CountDownLatch(1);

    @BeforeEach
    void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        link = new StreamLink(loop, PooledByteBufAllocator.DEFAULT, dir.resolve("s.socket"), 1500, counters, null,
                false, finished::countDown);
        // Echo every frame back, reversed in byte order, so the test sees the handler ran.
        link.setHandler(frame -> {
            frames.incrementAndGet();
            // Even lengths come back from a buffer with headroom (prefix written in place), odd ones copied.
            int room = frame.readableBytes() % 2 == 0 ? 8 : 0;
            ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(room + frame.readableBytes());
            out.writerIndex(room).readerIndex(room);
            for (int i = frame.writerIndex() - 1; i >= frame.readerIndex(); i--) {
                out.writeByte(frame.getByte(i));
            }
            link.send(out);
        });
        link.start();
    }

    @AfterEach
    void tearDown() {
        link.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        assertFalse(Files.exists(dir.resolve("s.socket")), "socket file removed at close");
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(dir.resolve("s.socket")));
        return ch;
    }

    private static void writeFrame(SocketChannel ch, byte[] payload, int declared) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + payload.length);
        b.putInt(declared).put(payload).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] readFrame(SocketChannel ch) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(4);
        readFully(ch, len);
        ByteBuffer body = ByteBuffer.allocate(len.flip().getInt());
        readFully(ch, body);
        return body.array();
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("closed");
            }
        }
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static byte[] reversed(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    @Test
    void framesBothWaysIncludingOnesSplitAcrossWrites() throws Exception {
        try (SocketChannel ch = connect()) {
            byte[] a = bytes(60, 1);
            writeFrame(ch, a, a.length);
            assertArrayEquals(reversed(a), readFrame(ch));
            // One frame delivered in three pieces, then two frames in one write.
            byte[] big = bytes(1514, 7);
            ByteBuffer b = ByteBuffer.allocate(4 + big.length).putInt(big.length).put(big).flip();
            for (int cut : new int[] {3, 700, b.limit()}) {
                ByteBuffer piece = b.duplicate().limit(cut);
                while (piece.hasRemaining()) {
                    ch.write(piece);
                }
                b.position(cut);
                Thread.sleep(20);
            }
            assertArrayEquals(reversed(big), readFrame(ch));
            byte[] c = bytes(100, 3);
            byte[] d = bytes(200, 4);
            ByteBuffer two = ByteBuffer.allocate(8 + 300).putInt(100).put(c).putInt(200).put(d).flip();
            while (two.hasRemaining()) {
                ch.write(two);
            }
            assertArrayEquals(reversed(c), readFrame(ch));
            assertArrayEquals(reversed(d), readFrame(ch));
        }
    }

    @Test
    void zeroAndOversizedFramesAreDroppedAndCounted() throws Exception {
        try (SocketChannel ch = connect()) {
            writeFrame(ch, new byte[0], 0);
            writeFrame(ch, bytes(1515, 2), 1515); // MTU 1500 + 14 + 1
            byte[] ok = bytes(64, 5);
            writeFrame(ch, ok, ok.length);
            assertArrayEquals(reversed(ok), readFrame(ch));
            assertEquals(2, counters.get("link.rx_bad_length").value());
            assertEquals(1, frames.get());
        }
    }

    @Test
    void impossibleLengthClosesTheConnectionAndTheNextGuestIsServed() throws Exception {
        try (SocketChannel ch = connect()) {
            writeFrame(ch, bytes(16, 1), 65535 + 14 + 1);
            ByteBuffer b = ByteBuffer.allocate(1);
            assertEquals(-1, ch.read(b), "connection closed");
        }
        try (SocketChannel ch = connect()) {
            byte[] ok = bytes(64, 9);
            writeFrame(ch, ok, ok.length);
            assertArrayEquals(reversed(ok), readFrame(ch));
        }
        assertEquals(1, finished.getCount(), "not one-off: still serving");
    }

    @Test
    void secondClientIsRefusedWhileOneIsAttached() throws Exception {
        try (SocketChannel first = connect(); SocketChannel second = connect()) {
            byte[] ok = bytes(64, 9);
            writeFrame(first, ok, ok.length);
            assertArrayEquals(reversed(ok), readFrame(first));
            ByteBuffer b = ByteBuffer.allocate(1);
            assertEquals(-1, second.read(b), "second client closed");
            assertTrue(counters.get("link.extra_clients_refused").value() >= 1);
        }
    }

    @Test
    void framesWithAndWithoutHeadroomKeepTheirOrder() throws Exception {
        try (SocketChannel ch = connect()) {
            ByteBuffer all = ByteBuffer.allocate(40 * (4 + 1001));
            for (int i = 0; i < 40; i++) {
                all.putInt(1000 + i % 2).put(bytes(1000 + i % 2, i));
            }
            all.flip();
            while (all.hasRemaining()) {
                ch.write(all);
            }
            for (int i = 0; i < 40; i++) {
                assertArrayEquals(reversed(bytes(1000 + i % 2, i)), readFrame(ch), "frame " + i);
            }
        }
    }

    @Test
    void aGuestThatDoesNotReadMakesTheLinkUnwritableAndNothingIsLost() throws Exception {
        CountDownLatch writable = new CountDownLatch(1);
        IoEventLoop loop = (IoEventLoop) group.next();
        loop.submit(() -> link.addWritabilityListener(writable::countDown)).sync();
        try (SocketChannel ch = connect()) {
            byte[] f = bytes(1500, 1);
            writeFrame(ch, f, f.length); // attach: the guest is known once its first frame is read
            assertArrayEquals(reversed(f), readFrame(ch));
            // More than the socket buffer (the kernel doubles SO_SNDBUF) and the high water mark, below the
            // hard limit, while the guest reads nothing.
            int n = (StreamLink.SOCKET_BUFFER * 2 + StreamLink.HIGH_WATER * 2) / 1500;
            boolean sawUnwritable = loop.submit(() -> {
                boolean unwritable = false;
                for (int i = 0; i < n; i++) {
                    ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(1500);
                    out.writeZero(1500).setInt(0, i);
                    link.send(out);
                    link.flush();
                    unwritable |= !link.isWritable();
                }
                return unwritable;
            }).get();
            assertTrue(sawUnwritable, "the link pushed back");
            for (int i = 0; i < n; i++) {
                byte[] got = readFrame(ch);
                assertEquals(i, ByteBuffer.wrap(got).getInt(), "frame " + i + " in order");
            }
            assertTrue(writable.await(5, TimeUnit.SECONDS), "the listener ran once the guest read");
            assertEquals(0, counters.get("link.tx_dropped").value());
        }
    }
}
