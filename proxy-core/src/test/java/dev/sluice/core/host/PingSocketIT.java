package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Echo through ping sockets to loopback inside a namespace whose ping_group_range admits root (root). */
class PingSocketIT {
    private static final byte[] DATA = "sluice-ping".getBytes(StandardCharsets.US_ASCII);

    @Test
    void echoToLoopbackBothFamilies() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String h = netns.create("ping-h");
            TestNetns.exec(h, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 0");
            int nsFd = Netns.open(h);
            try {
                Netns.callIn(nsFd, () -> {
                    assertTrue(PingSocket.groupRangeAdmits(0), "this namespace's range, not the caller's");
                    assertTrue(PingSocket.groupRangeAdmitsSelf());
                    echo(false, InetAddress.getByName("127.0.0.1"), 8, 0);
                    echo(true, InetAddress.getByName("::1"), 128, 129);
                    hotPathAllocatesNothing(false, InetAddress.getByName("127.0.0.1"), 8);
                    hotPathAllocatesNothing(true, InetAddress.getByName("::1"), 128);
                    return null;
                });
            } finally {
                Fds.close(nsFd);
            }
        }
    }

    @Test
    void defaultRangeRefusesEvenRoot() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String h = netns.create("ping-x");
            int nsFd = Netns.open(h);
            try {
                Netns.callIn(nsFd, () -> {
                    assertFalse(PingSocket.groupRangeAdmits(0), "a new namespace starts at \"1 0\"");
                    IOException e = assertThrows(IOException.class, () -> PingSocket.open(false));
                    assertTrue(e.getMessage().contains("EACCES"), e.getMessage());
                    return null;
                });
            } finally {
                Fds.close(nsFd);
            }
        }
    }

    /** Many echo round trips, measuring this thread's allocations (a count of bytes, not a timing). */
    private static void hotPathAllocatesNothing(boolean v6, InetAddress dst, int requestType) throws Exception {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int fd = PingSocket.open(v6);
        try {
            ByteBuffer req = Native.direct(64);
            req.put(0, (byte) requestType).put(8, DATA).limit(8 + DATA.length);
            ByteBuffer rx = Native.direct(256);
            byte[] src = new byte[16];
            byte[] dstBytes = dst.getAddress();
            long[] allocated = new long[2];
            for (int round = 0; round < 2; round++) { // the first round warms up
                long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
                for (int i = 0; i < 2000; i++) {
                    int sent = (i & 1) == 0 ? PingSocket.sendTo(fd, req, dst) : PingSocket.sendTo(fd, req, dstBytes, 0);
                    assertEquals(8 + DATA.length, sent);
                    int n = -1;
                    for (int spin = 0; spin < 1000 && n < 0; spin++) {
                        n = PingSocket.recvFrom(fd, rx, src);
                        if (n < 0) {
                            TestNetns.waitReadable(fd, 100);
                        }
                    }
                    assertEquals(8 + DATA.length, n);
                }
                allocated[round] = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            }
            System.out.println("ping " + (v6 ? "v6" : "v4") + " hot path: warm-up " + allocated[0]
                    + " bytes, measured " + allocated[1] + " bytes over 2000 round trips");
            assertTrue(allocated[1] < 2000 * 8, "allocates per packet: " + allocated[1] + " bytes");
        } finally {
            Fds.close(fd);
        }
    }

    private static void echo(boolean v6, InetAddress dst, int requestType, int replyType) throws Exception {
        int fd = PingSocket.open(v6);
        try {
            PingSocket.bind(fd, null, 0x4243, v6);
            assertEquals(0x4243, PingSocket.identifier(fd));

            ByteBuffer req = Native.direct(64);
            req.put(0, (byte) requestType).putShort(6, (short) 7).put(8, DATA); // id 0: the kernel sets it
            req.limit(8 + DATA.length);
            assertEquals(8 + DATA.length, PingSocket.sendTo(fd, req, dst));
            assertEquals(0, req.position(), "position unchanged");

            // Then one through the raw-bytes path, with another sequence number.
            req.putShort(6, (short) 8);
            assertEquals(8 + DATA.length, PingSocket.sendTo(fd, req, dst.getAddress(), 0));

            ByteBuffer rx = Native.direct(256);
            byte[] src = new byte[16];
            for (int seq = 7; seq <= 8; seq++) {
                assertTrue(TestNetns.waitReadable(fd, 5000), "no echo reply");
                int n = PingSocket.recvFrom(fd, rx, src);
                assertEquals(8 + DATA.length, n);
                assertEquals(replyType, rx.get(0) & 0xff);
                int id = ((rx.get(4) & 0xff) << 8) | (rx.get(5) & 0xff); // network order
                assertEquals(0x4243, id, "identifier is the bound one");
                assertEquals(seq, rx.getShort(6), "sequence echoed (written and read in the same order)");
                byte[] payload = new byte[DATA.length];
                rx.get(8, payload);
                assertArrayEquals(DATA, payload);
                assertArrayEquals(dst.getAddress(), java.util.Arrays.copyOf(src, dst.getAddress().length));
            }
            assertEquals(-1, PingSocket.recvFrom(fd, rx, src), "nothing more pending");
        } finally {
            Fds.close(fd);
        }
    }
}
