package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ping_group_range parsing; the sockets themselves are exercised in PingSocketIT. */
class PingSocketTest {

    @Test
    void groupRange(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ping_group_range");
        Files.writeString(f, "1\t0\n"); // the kernel default: nobody
        assertFalse(PingSocket.groupRangeAdmits(0, f));
        assertFalse(PingSocket.groupRangeAdmits(1, f));

        Files.writeString(f, "0\t2147483647\n");
        assertTrue(PingSocket.groupRangeAdmits(0, f));
        assertTrue(PingSocket.groupRangeAdmits(1000, f));
        assertFalse(PingSocket.groupRangeAdmits(-1, f), "gid 4294967295 is above the range");

        Files.writeString(f, "100 100");
        assertTrue(PingSocket.groupRangeAdmits(100, f));
        assertFalse(PingSocket.groupRangeAdmits(101, f));

        Files.writeString(f, "0 4294967294");
        assertTrue(PingSocket.groupRangeAdmits(-2, f), "gids compare unsigned");

        Files.writeString(f, "garbage");
        assertFalse(PingSocket.groupRangeAdmits(0, f));
        assertFalse(PingSocket.groupRangeAdmits(0, dir.resolve("absent")));
    }

    @Test
    void liveRangeIsReadWhole() throws Exception {
        // An integer sysctl answers nothing at a non-zero offset: one read must get both numbers.
        String range = PingSocket.readSysctl(Path.of("/proc/sys/net/ipv4/ping_group_range"));
        assertTrue(range.trim().matches("\\d+\\s+\\d+"), range);
        PingSocket.groupRangeAdmitsSelf();
    }
}
