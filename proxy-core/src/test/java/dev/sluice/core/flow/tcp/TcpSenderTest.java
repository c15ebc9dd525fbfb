package dev.sluice.core.flow.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.Counters;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The send half alone: a fake output and a fake clock. */
class TcpSenderTest {
    private static final long MS = 1_000_000L;

    record Sent(int seq, int off, int len, int flags) {
    }

    private final List<Sent> sent = new ArrayList<>();
    private boolean writable = true;
    private final Counters counters = new Counters();
    private final TcpTimers timers = new TcpTimers(200 * MS, 100 * MS, 2000 * MS);
    private final TcpSender tx = new TcpSender((seq, off, len, flags) -> {
        if (!writable) {
            return false;
        }
        sent.add(new Sent(seq, off, len, flags));
        return true;
    }, timers, counters.get("r"), counters.get("f"));

    private TcpSender established(int bytes) {
        tx.start(1000, false);
        tx.peerSyn(5000, 1000, 65535, 0, 1000);
        tx.established();
        ByteBuf b = Unpooled.directBuffer(bytes);
        b.writerIndex(bytes);
        tx.queue.add(b);
        return tx;
    }

    @AfterEach
    void release() {
        tx.queue.release();
    }

    @Test
    void sendsMssSegmentsInsideTheWindowsAndPushesTheLast() {
        established(4500).trySend(0);
        assertEquals(5, sent.size());
        assertEquals(new Sent(1001, 0, 1000, TcpSegment.ACK_FLAG), sent.get(0));
        assertEquals(new Sent(5001, 4000, 500, TcpSegment.ACK_FLAG | TcpSegment.PSH), sent.get(4));
        assertEquals(200 * MS, timers.rtoAt);
    }

    @Test
    void initialCongestionWindowIsTenSegments() {
        established(20_000).trySend(0);
        assertEquals(10, sent.size());
        assertEquals(10_000, tx.sndNxt - tx.sndUna);
    }

    @Test
    void ackReleasesDataAndGrowsTheWindowInSlowStart() {
        established(4000).trySend(0);
        assertEquals(TcpSender.ACK_NEW, tx.onAck(5000, 3001, 65535, true, 10 * MS));
        assertEquals(2000, tx.queue.readableBytes());
        assertEquals(12_000, tx.cwnd);
        assertEquals(TcpSender.ACK_UNSENT, tx.onAck(5000, 9999, 65535, true, 10 * MS));
    }

    @Test
    void threeDuplicateAcksRetransmitTheFirstSegmentOnce() {
        established(5000).trySend(0);
        sent.clear();
        for (int i = 0; i < 4; i++) {
            tx.onAck(5000, 1001, 65535, true, MS);
        }
        assertEquals(List.of(new Sent(1001, 0, 1000, TcpSegment.ACK_FLAG)), sent);
        assertEquals(1, counters.get("f").value());
        assertEquals(1, counters.get("r").value());
        assertEquals(2500, tx.cwnd); // half the flight
    }

    @Test
    void rtoGoesBackToTheFirstByteWithOneSegmentWindow() {
        established(3000).trySend(0);
        sent.clear();
        tx.onRto(300 * MS);
        assertEquals(List.of(new Sent(1001, 0, 1000, TcpSegment.ACK_FLAG)), sent);
        assertEquals(1000, tx.cwnd);
        assertEquals(300 * MS + 400 * MS, timers.rtoAt); // backed off
        assertEquals(TcpSender.ACK_NEW, tx.onAck(5000, 2001, 65535, true, 310 * MS));
        tx.trySend(310 * MS);
        assertEquals(new Sent(2001, 0, 1000, TcpSegment.ACK_FLAG), sent.get(1)); // slow start again from SND.UNA
    }

    @Test
    void finFollowsTheLastByteAndIsAcknowledgedSeparately() {
        established(500);
        tx.hostEof = true;
        tx.trySend(0);
        assertEquals(List.of(new Sent(1001, 0, 500, TcpSegment.ACK_FLAG | TcpSegment.FIN | TcpSegment.PSH)), sent);
        assertTrue(tx.finSent);
        tx.onAck(5000, 1502, 65535, true, MS);
        assertTrue(tx.finAcked);
        assertEquals(0, tx.queue.readableBytes());
    }

    @Test
    void zeroWindowArmsThePersistTimer() {
        established(1000);
        tx.sndWnd = 0;
        tx.trySend(5 * MS);
        assertTrue(sent.isEmpty());
        assertTrue(tx.needsProbe());
        assertEquals(205 * MS, timers.persistAt);
    }

    @Test
    void aFullLinkStopsSendingWithoutCountingLoss() {
        established(3000);
        writable = false;
        tx.trySend(0);
        assertTrue(tx.linkBlocked);
        assertEquals(1001, tx.sndNxt);
        assertEquals(0, timers.rtoAt);
        writable = true;
        tx.trySend(MS);
        assertFalse(tx.linkBlocked);
        assertEquals(3, sent.size());
        assertEquals(0, counters.get("r").value());
        assertEquals(10_000, tx.cwnd);
    }
}
