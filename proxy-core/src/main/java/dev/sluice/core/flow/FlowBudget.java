package dev.sluice.core.flow;

/**
 * The cap on concurrent flows of all protocols ({@code --max-flows}). Event
 * loop only. A flow takes a slot before its host socket is opened and gives it
 * back when it is freed; over the cap a new flow is refused, existing ones
 * are untouched.
 */
public final class FlowBudget {
    /** passt's FLOW_MAX is 128k; the same order of magnitude. */
    public static final int DEFAULT_MAX = 131072;

    private final int max;
    private int used;

    public FlowBudget(int max) {
        this.max = max;
    }

    /** Takes a slot; false when the table is full. */
    public boolean tryAcquire() {
        if (used >= max) {
            return false;
        }
        used++;
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
}
