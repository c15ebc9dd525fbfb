package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Needs no root: every network namespace has lo, and no interface has these other names. */
class InterfaceIndexTest {

    @Test
    void findsLoopbackWithTheKernelsIndex() throws Exception {
        assertEquals(NetworkInterface.getByName("lo").getIndex(), InterfaceIndex.of("lo"));
        assertTrue(InterfaceIndex.exists("lo"));
    }

    @Test
    void absentAndImpossibleNamesAreZero() {
        for (String name : new String[] {"sluice-none-x", "", "sixteen-bytes-xx", "a\u0000b", "lö-none"}) {
            assertEquals(0, InterfaceIndex.of(name), name);
            assertFalse(InterfaceIndex.exists(name), name);
        }
        assertEquals(0, InterfaceIndex.of(null));
    }

    @Test
    void copiesNamesNulTerminated() {
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        assertTrue(InterfaceIndex.copyName("eth0", buf));
        assertEquals("eth0\0", ascii(buf, 5));
        assertTrue(InterfaceIndex.copyName("fifteen-bytes-x", buf));
        assertEquals("fifteen-bytes-x\0", ascii(buf, 16));
        assertTrue(InterfaceIndex.copyName("lö0", buf)); // UTF-8: 4 bytes
        assertEquals("lö0", StandardCharsets.UTF_8.decode(buf.slice(0, 4)).toString());
        assertEquals(0, buf.get(4));
        assertFalse(InterfaceIndex.copyName("fifteen-chars-ö", buf)); // 16 bytes in UTF-8
    }

    @Test
    void asksTheKernelWithoutAllocating() {
        InterfaceIndex.of("lo"); // warm up: per-thread buffer, jnr-ffi stubs
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            InterfaceIndex.of(i % 2 == 0 ? "lo" : "sluice-none-x");
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 20_000; i++) {
            InterfaceIndex.of(i % 2 == 0 ? "lo" : "sluice-none-x");
        }
        long per = (mx.getThreadAllocatedBytes(tid) - before) / 20_000;
        assertTrue(per < 8, "bytes allocated per call: " + per);
    }

    private static String ascii(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(0, out);
        return new String(out, StandardCharsets.US_ASCII);
    }
}
