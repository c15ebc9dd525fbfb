package dev.sluice.core.flow.icmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What can be checked without root: reading the range, and failures surfacing as exceptions, not crashes. */
class JnrPingSocketsTest {
    private final PingSockets p = JnrPingSockets.INSTANCE;

    @Test
    void groupRangeMatchesTheSysctl() throws IOException {
        byte[] b = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ping_group_range"))) {
            n = in.read(b);
        }
        String[] r = new String(b, 0, n, StandardCharsets.US_ASCII).trim().split("\\s+");
        long lo = Long.parseLong(r[0]);
        long hi = Long.parseLong(r[1]);
        for (int gid : new int[] {0, 1, 100, 65534}) {
            assertEquals(lo <= gid && gid <= hi, p.groupRangeAdmits(gid), "gid " + gid);
        }
    }

    @Test
    void effectiveGidIsKnown() {
        assertTrue(JnrPingSockets.effectiveGid() >= 0);
    }

    @Test
    void openEitherWorksOrSaysWhy() {
        int gid = JnrPingSockets.effectiveGid();
        if (p.groupRangeAdmits(gid)) {
            try {
                int fd = p.open(false);
                assertTrue(fd >= 0);
                p.close(fd);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        } else {
            IOException e = assertThrows(IOException.class, () -> p.open(false));
            assertTrue(e.getMessage().contains("errno"), e.getMessage());
        }
    }

    @Test
    void badDescriptorsFailCleanly() {
        assertThrows(IOException.class, () -> p.sendTo(-1, Unpooled.directBuffer(16), 0, 16, new byte[4]));
        assertThrows(IOException.class, () -> p.recvFrom(-1, Unpooled.directBuffer(16), 0, 16, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> p.sendTo(-1, Unpooled.buffer(16), 0, 16, new byte[4]));
    }
}
