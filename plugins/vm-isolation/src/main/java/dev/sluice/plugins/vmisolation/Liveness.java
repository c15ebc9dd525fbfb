package dev.sluice.plugins.vmisolation;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether the instance behind a registry entry still runs: a process with
 * the entry's pid exists and started at the entry's start time (a pid alone
 * may have been reused by an unrelated process). Reads /proc through
 * {@link ProcessHandle}, so it is called off the event loop only.
 *
 * <p>When liveness cannot be judged (the entry comes from another pid
 * namespace, or a start time is unknown) the entry counts as alive: for an
 * isolation plugin, honouring a stale entry (refusing a port nobody
 * forwards) is the safe mistake. Such entries are never deleted.
 */
final class Liveness {
    /** The answer for one entry. */
    enum State {
        ALIVE,
        /** Definitely gone: no such process, or another process now holds the pid. */
        DEAD,
        /** Cannot tell (other pid namespace); treated as alive, never cleaned. */
        UNKNOWN
    }

    private final String ownPidNamespace;

    Liveness(String ownPidNamespace) {
        this.ownPidNamespace = ownPidNamespace;
    }

    /** For this process. */
    static Liveness current() {
        return new Liveness(RegistryEntry.pidNamespace(ProcessHandle.current().pid()));
    }

    State check(RegistryEntry e) {
        if (e.pidNamespace() != null && ownPidNamespace != null && !e.pidNamespace().equals(ownPidNamespace)) {
            return State.UNKNOWN;
        }
        Optional<ProcessHandle> ph = ProcessHandle.of(e.pid());
        if (ph.isEmpty() || !ph.get().isAlive()) {
            return State.DEAD;
        }
        if (e.startMillis() < 0) {
            return State.UNKNOWN;
        }
        Optional<Instant> start = ph.get().info().startInstant();
        if (start.isEmpty()) {
            return State.UNKNOWN;
        }
        return start.get().toEpochMilli() == e.startMillis() ? State.ALIVE : State.DEAD;
    }
}
