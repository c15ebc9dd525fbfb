package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FdLimitTest {

    /** "Max open files  1024  4096  files": what the kernel says, to compare with. */
    private static long[] procLimits() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (l.startsWith("Max open files")) {
                String[] f = l.substring("Max open files".length()).trim().split("\\s+");
                return new long[] {parse(f[0]), parse(f[1])};
            }
        }
        throw new AssertionError("no 'Max open files' in /proc/self/limits");
    }

    private static long parse(String v) {
        return v.equals("unlimited") ? FdLimit.INFINITY : Long.parseLong(v);
    }

    @Test
    void readsWhatTheKernelReports() throws Exception {
        FdLimit.Limits l = FdLimit.read();
        long[] p = procLimits();
        assertEquals(p[0], l.soft());
        assertEquals(p[1], l.hard());
    }

    @Test
    void raisesTheSoftLimitToTheHardOne() throws Exception {
        FdLimit.Limits before = FdLimit.read();
        try {
            FdLimit.set(Math.min(before.soft(), 512), before.hard());
            assertEquals(512 <= before.soft() ? 512 : before.soft(), procLimits()[0]);
            FdLimit.Limits after = FdLimit.raiseToHard();
            assertEquals(before.hard(), after.soft());
            assertEquals(before.hard(), after.hard());
            assertEquals(before.hard(), procLimits()[0]);
            assertEquals(after, FdLimit.raiseToHard(), "idempotent");
        } finally {
            FdLimit.set(before.soft(), before.hard());
        }
    }

    @Test
    void countsOpenDescriptors() throws Exception {
        int n = FdLimit.openCount();
        assertTrue(n >= 3, "stdin, stdout, stderr at least: " + n);
        try (var in = Files.newInputStream(Path.of("/proc/self/limits"))) {
            assertEquals(n + 1, FdLimit.openCount());
        }
    }
}
