package dev.sluice.plugins.vmisolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LivenessTest {
    private final Liveness liveness = Liveness.current();
    private final RegistryEntry me = RegistryEntry.self("me", List.of());

    @Test
    void thisProcessIsAlive() {
        assertEquals(Liveness.State.ALIVE, liveness.check(me));
    }

    @Test
    void aProcessThatExitedIsDead() throws Exception {
        Process p = new ProcessBuilder("true").start();
        long start = p.toHandle().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        RegistryEntry gone = new RegistryEntry("gone", p.pid(), start, me.pidNamespace(), List.of());
        assertEquals(Liveness.State.DEAD, liveness.check(gone));
    }

    @Test
    void aReusedPidIsDead() {
        // This pid runs, but it is not the process that wrote the entry: it started at another time.
        RegistryEntry reused = new RegistryEntry("old", me.pid(), me.startMillis() - 60_000, me.pidNamespace(), List.of());
        assertEquals(Liveness.State.DEAD, liveness.check(reused));
    }

    @Test
    void whatCannotBeJudgedCountsAsAliveButIsNotDead() {
        RegistryEntry otherNamespace = new RegistryEntry("c", 999_999_999L, 1, "pid:[1]", List.of());
        RegistryEntry noStart = new RegistryEntry("d", me.pid(), -1, me.pidNamespace(), List.of());
        Liveness here = new Liveness("pid:[2]");
        assertEquals(Liveness.State.UNKNOWN, here.check(otherNamespace));
        assertEquals(Liveness.State.UNKNOWN, liveness.check(noStart));
    }
}
