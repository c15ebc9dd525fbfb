package dev.sluice.core.flow;

/**
 * One protocol's cap on concurrent flows, and the rate at which the guest may
 * open new ones. Event loop only. A flow takes a slot before its host socket
 * is opened and gives it back when it is freed; over the cap (or over the
 * rate) a new flow is refused, existing ones are untouched. Each protocol has
 * its own budget ({@link FlowBudgets}), so a flood of one cannot take the
 * slots of another.
 */
public final class FlowBudget {
    /** passt's FLOW_MAX is 128k; the same order of magnitude. */
    public static final int DEFAULT_MAX = 131072;
    private static final long SECOND_NS = 1_000_000_000L;

    private final int max;
    private int used;
    /** New flows per second, 0 for no limit; the bucket holds one second's worth (the burst). */
    private final int rate;
    private final long costNs;
    private long allowanceNs = SECOND_NS;
    private long lastNs;
    private boolean started;

    public FlowBudget(int max) {
        this(max, 0);
    }

    public FlowBudget(int max, int ratePerSecond) {
        if (max < 0 || ratePerSecond < 0) {
            throw new IllegalArgumentException("negative cap or rate");
        }
        this.max = max;
        this.rate = ratePerSecond;
        this.costNs = ratePerSecond == 0 ? 0 : SECOND_NS / ratePerSecond;
    }

    /** Takes a slot; false when the table is full. */
    public boolean tryAcquire() {
        if (used >= max) {
            return false;
        }
        used++;
        return true;
    }

    /**
     * The rate limit for a new flow the guest opens (a token bucket refilled at
     * {@code rate} per second, one second deep): true when it may be opened.
     * Asked once per new flow, before {@link #tryAcquire}.
     */
    public boolean admitNew(long nowNs) {
        if (rate == 0) {
            return true;
        }
        if (!started) {
            started = true;
            lastNs = nowNs;
        }
        allowanceNs = Math.min(SECOND_NS, allowanceNs + Math.max(0, nowNs - lastNs));
        lastNs = nowNs;
        if (allowanceNs < costNs) {
            return false;
        }
        allowanceNs -= costNs;
        return true;
    }

    public void release() {
        if (used > 0) {
            used--;
        }
    }

    public int used() {
        return used;
    }

    public int max() {
        return max;
    }

    /** New flows per second allowed, 0 for no limit. */
    public int rate() {
        return rate;
    }

    @Override
    public String toString() {
        return used + "/" + max;
    }
}
