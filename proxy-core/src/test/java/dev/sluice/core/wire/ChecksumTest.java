package dev.sluice.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    /** RFC 1071 word by word: the reference the fast paths must agree with. */
    private static long reference(byte[] b, int off, int len) {
        long acc = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            acc += (hi << 8) | lo;
        }
        return acc;
    }

    @Test
    void directHeapAndReferenceAgreeOnEveryLengthAndOffset() {
        Random rnd = new Random(11);
        byte[] data = new byte[70_000];
        rnd.nextBytes(data);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(data.length);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        try {
            direct.writeBytes(data);
            assertTrue(direct.hasMemoryAddress(), "pooled direct buffers must take the address path");
            int[] lens = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 39, 63, 64, 65, 1447, 1448, 1500, 65483, 65535};
            for (int off = 0; off < 9; off++) {
                for (int len : lens) {
                    long ref = reference(data, off, len);
                    int want = Checksum.finish(ref);
                    assertEquals(want, Checksum.finish(Checksum.add(0, direct, off, len)), "direct off " + off + " len " + len);
                    assertEquals(want, Checksum.finish(Checksum.add(0, heap, off, len)), "heap off " + off + " len " + len);
                    // Added to a running accumulator, as pseudo-header sums are.
                    assertEquals(Checksum.finish(ref + 0x1234_5678L),
                            Checksum.finish(Checksum.add(0x1234_5678L, direct, off, len)), "acc off " + off + " len " + len);
                }
            }
            for (int i = 0; i < 200; i++) {
                int off = rnd.nextInt(1000);
                int len = rnd.nextInt(data.length - off);
                assertEquals(Checksum.finish(reference(data, off, len)),
                        Checksum.finish(Checksum.add(0, direct, off, len)), "off " + off + " len " + len);
            }
        } finally {
            direct.release();
        }
    }

    @Test
    void sumsThatFoldToAllOnesStayDistinctFromZero() {
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        try {
            direct.writeZero(64);
            assertEquals(0xffff, Checksum.finish(Checksum.add(0, direct, 0, 64)));
            direct.setShort(10, 0xffff);
            assertEquals(0, Checksum.finish(Checksum.add(0, direct, 0, 64)));
            direct.setShort(10, 0x00ff);
            direct.setShort(20, 0xff00);
            assertEquals(0, Checksum.finish(Checksum.add(0, direct, 0, 64)));
        } finally {
            direct.release();
        }
    }

    @Test
    void rangesOutsideTheBufferAreRefused() {
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(64, 64);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(0, direct, 40, 40));
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(0, direct, -1, 40));
        } finally {
            direct.release();
        }
    }
}
