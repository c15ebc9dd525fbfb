package dev.sluice.core;

/**
 * At most one log line per interval for one kind of event a guest can repeat
 * at will (a refused flow, a foreign MAC, a malformed frame): the event is
 * always counted elsewhere, the log only samples it. One instance per call
 * site; event loop only, no locks.
 *
 * <pre>
 * if (limiter.allow(now)) {
 *     log.warn("... ({} more since the last line)", ..., limiter.suppressed());
 * }
 * </pre>
 */
public final class LogLimiter {
    /** The interval of every per-event log limit in the core. */
    public static final long DEFAULT_INTERVAL_NS = 10_000_000_000L;

    private final long intervalNs;
    private long lastNs;
    private boolean logged;
    private long pending;
    private long suppressed;

    public LogLimiter() {
        this(DEFAULT_INTERVAL_NS);
    }

    public LogLimiter(long intervalNs) {
        this.intervalNs = intervalNs;
    }

    /** True when a line may be written now; otherwise the event is counted as suppressed. */
    public boolean allow(long nowNs) {
        if (logged && nowNs - lastNs < intervalNs) {
            pending++;
            return false;
        }
        logged = true;
        lastNs = nowNs;
        suppressed = pending;
        pending = 0;
        return true;
    }

    public boolean allow() {
        return allow(System.nanoTime());
    }

    /** Events left unlogged between the previous allowed line and the current one. */
    public long suppressed() {
        return suppressed;
    }
}
