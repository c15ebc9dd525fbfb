package dev.sluice.core.link.vhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rings against hand-built split rings in a plain buffer standing for guest memory (guest address 0). */
class SplitRingTest {
    private static final int NUM = 8;
    private static final long DESC = 0x0, AVAIL = 0x1000, USED = 0x2000, BUFS = 0x10000;

    private final ByteBuffer memory = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final long base = PlatformDependent.directBufferAddress(memory);
    private final GuestMemory mem = new GuestMemory(new long[] {0}, new long[] {1 << 20}, new long[] {0x7f0000000000L},
            new long[] {base});
    private final NetQueues q = new NetQueues();
    private int availIdx;

    private void setUp(SplitRing ring, boolean eventIdx, int startIdx) {
        ring.configure(NUM, base + DESC, base + AVAIL, base + USED, eventIdx, startIdx);
        availIdx = startIdx;
        memory.putShort((int) AVAIL + 2, (short) startIdx);
        memory.putShort((int) USED + 2, (short) startIdx);
    }

    private void desc(int i, long addr, int len, int flags, int next) {
        memory.putLong((int) (DESC + 16 * i), addr).putInt((int) (DESC + 16 * i + 8), len)
                .putShort((int) (DESC + 16 * i + 12), (short) flags).putShort((int) (DESC + 16 * i + 14), (short) next);
    }

    private void post(int head) {
        memory.putShort((int) (AVAIL + 4 + 2 * (availIdx % NUM)), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        memory.putShort((int) AVAIL + 2, (short) availIdx);
    }

    private int usedIdx() {
        return memory.getShort((int) USED + 2) & 0xffff;
    }

    private int usedId(int slot) {
        return memory.getInt((int) (USED + 4 + 8 * (slot % NUM)));
    }

    private int usedLen(int slot) {
        return memory.getInt((int) (USED + 4 + 8 * (slot % NUM)) + 4);
    }

    private void fill(long at, byte[] b) {
        memory.put((int) at, b);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    private List<byte[]> drain(int budget) {
        List<byte[]> got = new ArrayList<>();
        ByteBuf out = Unpooled.directBuffer(65536);
        q.drainTx(out, f -> {
            byte[] b = new byte[f.readableBytes()];
            f.getBytes(f.readerIndex(), b);
            got.add(b);
        }, budget);
        q.txRing.publish();
        out.release();
        return got;
    }

    @Test
    void aTransmitChainIsGatheredWithoutItsHeader() {
        setUp(q.txRing, false, 0);
        q.configure(mem, 12, true, false);
        byte[] a = bytes(20, 1), b = bytes(1000, 2);
        fill(BUFS, new byte[12]);
        fill(BUFS + 0x100, a);
        fill(BUFS + 0x1000, b);
        desc(3, BUFS, 12, SplitRing.DESC_F_NEXT, 5);
        desc(5, BUFS + 0x100, 20, SplitRing.DESC_F_NEXT, 1);
        desc(1, BUFS + 0x1000, 1000, 0, 0);
        post(3);
        List<byte[]> got = drain(64);
        assertEquals(1, got.size());
        byte[] want = new byte[1020];
        System.arraycopy(a, 0, want, 0, 20);
        System.arraycopy(b, 0, want, 20, 1000);
        assertArrayEquals(want, got.get(0));
        assertEquals(1, usedIdx());
        assertEquals(3, usedId(0));
        assertEquals(0, usedLen(0));
    }

    @Test
    void theHeaderMaySitInTheSameDescriptorAsTheFrame() {
        setUp(q.txRing, false, 0);
        q.configure(mem, 12, true, false);
        byte[] frame = bytes(60, 3);
        fill(BUFS + 12, frame);
        desc(0, BUFS, 72, 0, 0);
        post(0);
        assertArrayEquals(frame, drain(64).get(0));
    }

    @Test
    void indicesWrapAroundAt65536() {
        setUp(q.txRing, false, 65534);
        q.configure(mem, 12, true, false);
        for (int i = 0; i < 4; i++) {
            fill(BUFS + 0x100 * i + 12, bytes(60, i));
            desc(i, BUFS + 0x100 * i, 72, 0, 0);
            post(i);
        }
        assertEquals(2, availIdx);
        List<byte[]> got = drain(64);
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(bytes(60, i), got.get(i));
            assertEquals(i, usedId(65534 + i));
        }
        assertEquals(2, usedIdx());
        assertEquals(2, q.txRing.lastAvail());
    }

    @Test
    void aBudgetLeavesTheRestForTheNextRound() {
        setUp(q.txRing, false, 0);
        q.configure(mem, 12, true, false);
        for (int i = 0; i < 3; i++) {
            desc(i, BUFS + 0x100 * i, 72, 0, 0);
            post(i);
        }
        assertEquals(2, drain(2).size());
        assertEquals(1, drain(2).size());
        // Without EVENT_IDX the ring re-enabled kicks once empty.
        assertEquals(0, memory.getShort((int) USED) & SplitRing.USED_F_NO_NOTIFY);
    }

    @Test
    void indirectTablesAreFollowedOnlyWhenNegotiated() {
        setUp(q.txRing, false, 0);
        long table = BUFS + 0x8000;
        byte[] frame = bytes(100, 9);
        fill(BUFS + 0x200, frame);
        // Indirect table: [0] header, [1] frame.
        memory.putLong((int) table, BUFS).putInt((int) table + 8, 12).putShort((int) table + 12, (short) SplitRing.DESC_F_NEXT)
                .putShort((int) table + 14, (short) 1);
        memory.putLong((int) table + 16, BUFS + 0x200).putInt((int) table + 24, 100).putShort((int) table + 28, (short) 0);
        desc(0, table, 32, SplitRing.DESC_F_INDIRECT, 0);
        post(0);
        q.configure(mem, 12, true, false);
        assertEquals(0, drain(64).size());
        assertNotNull(q.lastError);
        assertEquals(1, usedIdx(), "a bad buffer is still returned");
        q.configure(mem, 12, true, true);
        post(0);
        assertArrayEquals(frame, drain(64).get(0));
    }

    @Test
    void aLoopingChainIsRefused() {
        setUp(q.txRing, false, 0);
        q.configure(mem, 12, true, false);
        desc(0, BUFS, 100, SplitRing.DESC_F_NEXT, 1);
        desc(1, BUFS, 100, SplitRing.DESC_F_NEXT, 0);
        post(0);
        assertEquals(0, drain(64).size());
        assertEquals("descriptor chain loops", q.lastError);
    }

    @Test
    void aBufferOutsideGuestMemoryIsRefused() {
        setUp(q.txRing, false, 0);
        q.configure(mem, 12, true, false);
        desc(0, (1 << 20) - 10, 100, 0, 0);
        post(0);
        assertEquals(0, drain(64).size());
        assertTrue(q.lastError.contains("outside guest memory"), q.lastError);
    }

    @Test
    void eventIdxSuppressesCallsUntilUsedEventIsCrossed() {
        SplitRing r = q.rxRing;
        setUp(r, true, 0);
        assertFalse(r.needsCall(), "nothing used yet");
        r.putUsed(0, 10);
        r.publish();
        assertTrue(r.needsCall(), "the first call is always made");
        // The driver asks to be called once used index passes 3.
        memory.putShort((int) (AVAIL + 4 + 2 * NUM), (short) 3);
        r.putUsed(1, 10);
        r.publish();
        assertFalse(r.needsCall(), "used 2 does not cross used_event 3");
        r.putUsed(2, 10);
        r.putUsed(3, 10);
        r.publish();
        assertTrue(r.needsCall(), "used 4 crosses used_event 3");
        // Kicks: avail_event follows what was consumed.
        post(0);
        post(1);
        r.consume(2);
        assertFalse(r.enableKicks());
        assertEquals(2, memory.getShort((int) (USED + 4 + 8 * NUM)));
    }

    @Test
    void withoutEventIdxTheNoInterruptFlagDecides() {
        SplitRing r = q.rxRing;
        setUp(r, false, 0);
        memory.putShort((int) AVAIL, (short) SplitRing.AVAIL_F_NO_INTERRUPT);
        r.putUsed(0, 1);
        r.publish();
        assertFalse(r.needsCall());
        memory.putShort((int) AVAIL, (short) 0);
        r.putUsed(0, 1);
        r.publish();
        assertTrue(r.needsCall());
    }

    @Test
    void needEventMatchesVirtiosFormulaAcrossWrap() {
        assertTrue(SplitRing.needEvent(0xffff, 0, 0xfffe));
        assertFalse(SplitRing.needEvent(5, 5, 3));
        assertTrue(SplitRing.needEvent(4, 5, 3));
    }

    @Test
    void mergeableReceiveSpreadsAFrameOverSeveralBuffers() {
        SplitRing r = q.rxRing;
        setUp(r, false, 0);
        q.configure(mem, 12, true, false);
        for (int i = 0; i < 4; i++) {
            desc(i, BUFS + 0x1000 * i, 100, SplitRing.DESC_F_WRITE, 0);
            post(i);
        }
        byte[] frame = bytes(250, 5);
        ByteBuf f = Unpooled.directBuffer(300).writeBytes(frame);
        assertTrue(q.deliverRx(f));
        r.publish();
        f.release();
        assertEquals(3, usedIdx());
        assertEquals(100, usedLen(0));
        assertEquals(100, usedLen(1));
        assertEquals(62, usedLen(2));
        assertEquals(3, memory.getShort((int) BUFS + 10), "num_buffers");
        assertEquals(0, memory.getLong((int) BUFS), "no offload flags");
        byte[] got = new byte[250];
        memory.get((int) BUFS + 12, got, 0, 88);
        memory.get((int) BUFS + 0x1000, got, 88, 100);
        memory.get((int) BUFS + 0x2000, got, 188, 62);
        assertArrayEquals(frame, got);
        assertEquals(3, r.lastAvail());
    }

    @Test
    void aFrameTooBigForThePostedBuffersIsDroppedAndNothingConsumed() {
        SplitRing r = q.rxRing;
        setUp(r, false, 0);
        q.configure(mem, 12, true, false);
        desc(0, BUFS, 100, SplitRing.DESC_F_WRITE, 0);
        post(0);
        ByteBuf f = Unpooled.directBuffer(300).writeBytes(bytes(250, 1));
        assertFalse(q.deliverRx(f));
        assertEquals(0, r.lastAvail());
        // Without MRG_RXBUF one chain must hold the whole frame.
        q.configure(mem, 12, false, false);
        desc(0, BUFS, 200, SplitRing.DESC_F_WRITE | SplitRing.DESC_F_NEXT, 1);
        desc(1, BUFS + 0x1000, 200, SplitRing.DESC_F_WRITE, 0);
        assertTrue(q.deliverRx(f));
        r.publish();
        assertEquals(262, usedLen(0));
        assertEquals(1, memory.getShort((int) BUFS + 10), "num_buffers is 1 without merging");
        f.release();
    }

    @Test
    void guestMemoryTranslatesBothAddressSpacesWithinOneRegion() {
        assertEquals(base + 0x10, mem.gpaToHost(0x10, 16));
        assertEquals(base + 0x10, mem.uvaToHost(0x7f0000000010L, 16));
        assertEquals(0, mem.gpaToHost((1 << 20) - 8, 16));
        assertEquals(0, mem.gpaToHost(-1L, 1));
    }
}
