package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Tun.openTap in a namespace of its own (root). */
class TunIT {

    @Test
    void tapAppearsInTheNamespaceOnlyWhileOpen() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String g = netns.create("tun-g");
            int nsFd = Netns.open(g);
            int tap = -1;
            try {
                tap = Tun.openTap(nsFd, "tap0");
                String details = TestNetns.ip(g, "-d", "link", "show", "tap0");
                assertTrue(details.contains("tun type tap pi off"), details);
                assertThrows(IOException.class, () -> TestNetns.run("ip", "link", "show", "tap0"),
                        "the tap must not appear in the caller's namespace");

                // The fd is a working tap: a frame written to it is received by the kernel on tap0.
                TestNetns.ip(g, "link", "set", "tap0", "up");
                Epoll.ensureAvailability(); // loads netty's native code behind FileDescriptor
                FileDescriptor fd = new FileDescriptor(tap);
                ByteBuffer frame = ByteBuffer.allocateDirect(60);
                for (int i = 0; i < 6; i++) {
                    frame.put(i, (byte) 0xff); // broadcast
                }
                frame.put(6, (byte) 0x02).put(11, (byte) 0x01);
                frame.put(12, (byte) 0x88).put(13, (byte) 0xb5); // local experimental ethertype: nobody answers
                long before = rxPackets(g);
                assertEquals(60, fd.write(frame, 0, 60));
                assertEquals(before + 1, rxPackets(g));

                Fds.close(tap);
                tap = -1;
                assertThrows(IOException.class, () -> TestNetns.ip(g, "link", "show", "tap0"),
                        "not persistent: gone with its fd");
            } finally {
                Fds.close(tap);
                Fds.close(nsFd);
            }
        }
    }

    @Test
    void reopeningANameInUseFails() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String g = netns.create("tun-b");
            int nsFd = Netns.open(g);
            int tap = Tun.openTap(nsFd, "tapb");
            try {
                IOException e = assertThrows(IOException.class, () -> Tun.openTap(nsFd, "tapb"));
                assertTrue(e.getMessage().contains("TUNSETIFF"), e.getMessage());
            } finally {
                Fds.close(tap);
                Fds.close(nsFd);
            }
        }
    }

    private static long rxPackets(String ns) throws IOException {
        return Long.parseLong(TestNetns.exec(ns, "cat", "/sys/class/net/tap0/statistics/rx_packets").trim());
    }
}
