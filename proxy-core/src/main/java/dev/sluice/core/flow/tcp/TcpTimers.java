package dev.sluice.core.flow.tcp;

/**
 * One flow's clocks: the retransmission timeout estimated from round-trip
 * samples (RFC 6298; Karn's rule is the sender's business), the RTO and
 * zero-window persist deadlines, the state deadline (connect, FIN and
 * dropped-SYN timeouts) and the last activity for the idle timeout. Pure
 * arithmetic on {@code System.nanoTime()} values passed in: the flow owns the
 * one scheduled task that fires at {@link #next}.
 */
final class TcpTimers {
    private static final long CLOCK_GRANULARITY_NS = 1_000_000L;

    private final long initialRtoNs;
    private final long minRtoNs;
    private final long maxRtoNs;

    private long srtt = -1;
    private long rttvar;
    private long rto;
    /** Consecutive retransmissions of the same data (or SYN). */
    int retries;
    int persistBackoff;
    /** Deadlines, 0 when not armed. */
    long rtoAt;
    long persistAt;
    long stateDeadline;
    long lastActivity;

    TcpTimers(long initialRtoNs, long minRtoNs, long maxRtoNs) {
        this.initialRtoNs = initialRtoNs;
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.rto = initialRtoNs;
    }

    long rto() {
        return rto;
    }

    long maxRto() {
        return maxRtoNs;
    }

    /** Back to the initial RTO (a SYN retransmitted: no sample to trust). */
    void resetRto() {
        rto = initialRtoNs;
    }

    /** One round-trip sample, in ns. */
    void sample(long r) {
        if (r < 0) {
            return;
        }
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            long d = Math.abs(srtt - r);
            rttvar = (3 * rttvar + d) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        recompute();
    }

    /** The RTO from the estimate (after a backoff is over). */
    void recompute() {
        long r = srtt < 0 ? initialRtoNs : srtt + Math.max(CLOCK_GRANULARITY_NS, 4 * rttvar);
        rto = Math.max(minRtoNs, Math.min(maxRtoNs, r));
    }

    void backoff() {
        rto = Math.min(maxRtoNs, rto * 2);
    }

    /** New data was acknowledged: the backoff ends. */
    void acked() {
        if (retries > 0) {
            retries = 0;
            recompute();
        }
    }

    /** Arms the RTO from {@code now} unless it runs already. */
    void startRto(long now) {
        if (rtoAt == 0) {
            rtoAt = now + rto;
        }
    }

    /** Arms the persist timer unless it runs already. */
    void startPersist(long now) {
        if (persistAt == 0) {
            persistAt = now + rto;
        }
    }

    void stopPersist() {
        persistAt = 0;
        persistBackoff = 0;
    }

    /** Next persist probe: exponential backoff capped at the maximum RTO. */
    void persistProbed(long now) {
        persistBackoff = Math.min(persistBackoff + 1, 16);
        persistAt = now + Math.min(maxRtoNs, rto << persistBackoff);
    }

    /** The earliest armed deadline, {@code idleAt} included unless 0; Long.MAX_VALUE when none. */
    long next(long idleAt) {
        long next = Long.MAX_VALUE;
        if (rtoAt != 0) {
            next = rtoAt;
        }
        if (persistAt != 0 && persistAt - next < 0) {
            next = persistAt;
        }
        if (stateDeadline != 0 && stateDeadline - next < 0) {
            next = stateDeadline;
        }
        if (idleAt != 0 && idleAt - next < 0) {
            next = idleAt;
        }
        return next;
    }
}
