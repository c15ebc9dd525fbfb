package dev.sluice.core.flow.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.Counters;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The receive half alone, writing to an embedded channel. */
class TcpReceiverTest {
    private int acks;
    private int dirties;
    private int fins;
    private final Counters counters = new Counters();
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final TcpReceiver rx = new TcpReceiver(new TcpReceiver.Events() {
        @Override
        public void ackNow() {
            acks++;
        }

        @Override
        public void dirty() {
            dirties++;
        }

        @Override
        public void finReceived() {
            fins++;
        }
    }, PooledByteBufAllocator.DEFAULT, 64 * 1024, counters.get("ooo"));
    private final TcpSegment seg = new TcpSegment();

    TcpReceiverTest() {
        rx.attach(ch);
        rx.start(99);
        rx.synWindow();
    }

    @AfterEach
    void close() {
        rx.release();
        ch.finishAndReleaseAll();
    }

    private void deliver(int seq, byte[] data, int off, int len, boolean fin) {
        ByteBuf f = Unpooled.buffer(TcpSegment.HEADER_LEN + len);
        TcpSegment.emitHeader(f, 0, 40000, 80, seq, 1, TcpSegment.HEADER_LEN,
                TcpSegment.ACK_FLAG | (fin ? TcpSegment.FIN : 0), 65535);
        f.setBytes(TcpSegment.HEADER_LEN, data, off, len);
        f.writerIndex(TcpSegment.HEADER_LEN + len);
        assertTrue(seg.wrap(f, 0, f.writerIndex()));
        rx.onSegment(seg, f);
        f.release();
    }

    private byte[] hostBytes() {
        rx.flushHost();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object m; (m = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) m;
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            out.writeBytes(a);
            b.release();
        }
        return out.toByteArray();
    }

    private static byte[] data(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 7 + 3);
        }
        return d;
    }

    @Test
    void inOrderDataGoesToTheHostAndIsAcknowledgedAtTheBatch() {
        byte[] d = data(3000);
        deliver(100, d, 0, 1000, false);
        deliver(1100, d, 1000, 2000, false);
        assertEquals(0, acks);
        assertTrue(rx.ackDue);
        assertEquals(3100, rx.rcvNxt);
        assertArrayEquals(d, hostBytes());
        assertTrue(rx.allTaken());
    }

    @Test
    void aSuperSegmentLargerThanTheMssIsTakenWhole() {
        byte[] d = data(60_000);
        deliver(100, d, 0, d.length, false);
        assertEquals(60_100, rx.rcvNxt);
        assertArrayEquals(d, hostBytes());
    }

    @Test
    void outOfOrderDataIsHeldAndWrittenOnceTheHoleFills() {
        byte[] d = data(3000);
        deliver(2100, d, 2000, 1000, true);
        deliver(1100, d, 1000, 1000, false);
        assertEquals(2, acks); // one immediate duplicate ACK each
        assertEquals(2, rx.heldCount());
        assertEquals(0, hostBytes().length);
        deliver(100, d, 0, 1500, false); // overlaps the first held segment
        assertEquals(0, rx.heldCount());
        assertEquals(1, fins);
        assertEquals(3101, rx.rcvNxt);
        assertArrayEquals(d, hostBytes());
        assertEquals(2, counters.get("ooo").value());
    }

    @Test
    void dataBeyondTheOfferedWindowIsCutAndAcknowledged() {
        byte[] d = data(70_000);
        deliver(100, d, 0, d.length, false);
        assertEquals(100 + 0xffff, rx.rcvNxt); // the SYN's unscaled window
        assertEquals(1, acks);
        assertEquals(0xffff, hostBytes().length);
    }

    @Test
    void windowShrinksWithWhatTheHostHasNotTakenAndNeverMovesItsEdgeLeft() {
        byte[] d = data(10_000);
        deliver(100, d, 0, d.length, false);
        // not flushed: the kernel has taken nothing yet, but the edge promised stays
        int w = rx.advertiseWindow();
        assertEquals(64 * 1024 - 10_000, w);
        assertTrue(rx.rcvNxt + w >= 100 + 0xffff);
        hostBytes(); // flushed: the marker completes, everything is taken
        assertEquals(Math.min(0xffff, 64 * 1024), rx.advertiseWindow());
    }
}
