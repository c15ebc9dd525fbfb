package dev.sluice.core.flow;

/**
 * The per-protocol flow budgets of one instance, and how their caps are
 * derived. There is one guest per instance, so per-protocol caps are also the
 * per-guest caps.
 *
 * <p>The total is {@code --max-flows}, but never more than the descriptors the
 * process may still open: every TCP flow, outbound UDP flow and ICMP flow
 * holds one host socket, so the total is capped at the open-file limit minus
 * what is already open, the forwarded ports' listeners and
 * {@link #FD_HEADROOM} (links, pcap, plugin files, the JVM's own). The total
 * is then split in fixed shares, TCP {@value #TCP_PERCENT}%, UDP
 * {@value #UDP_PERCENT}%, ICMP the rest: the shares are caps, not
 * priorities, so a flood of one protocol cannot take another's slots.
 */
public final class FlowBudgets {
    public static final int TCP_PERCENT = 50;
    public static final int UDP_PERCENT = 40;
    /** Descriptors kept free beyond those already open and the listeners. */
    public static final int FD_HEADROOM = 256;
    /** The smallest total the derivation goes down to, whatever the limit (a tiny limit fails loudly later). */
    public static final int MIN_TOTAL = 16;

    private final FlowBudget tcp;
    private final FlowBudget udp;
    private final FlowBudget icmp;
    private final int total;
    private final boolean fdBound;

    private FlowBudgets(int total, boolean fdBound, FlowRates rates) {
        this.total = total;
        this.fdBound = fdBound;
        int t = (int) ((long) total * TCP_PERCENT / 100);
        int u = (int) ((long) total * UDP_PERCENT / 100);
        this.tcp = new FlowBudget(Math.max(1, t), rates.tcp());
        this.udp = new FlowBudget(Math.max(1, u), rates.udp());
        this.icmp = new FlowBudget(Math.max(1, total - t - u), rates.icmp());
    }

    /**
     * @param maxFlows  {@code --max-flows}
     * @param fdLimit   the soft RLIMIT_NOFILE in force ({@code dev.sluice.core.host.FdLimit}), negative if unlimited
     * @param fdsOpen   descriptors open now
     * @param listeners descriptors the forwarded ports will hold (an estimate from the -t/-u specs)
     */
    public static FlowBudgets derive(int maxFlows, long fdLimit, int fdsOpen, long listeners, FlowRates rates) {
        long byFds = fdLimit < 0 ? Long.MAX_VALUE : fdLimit - Math.max(0, fdsOpen) - listeners - FD_HEADROOM;
        long total = Math.min(maxFlows, Math.max(MIN_TOTAL, byFds));
        return new FlowBudgets((int) total, byFds < maxFlows, rates);
    }

    /** Fixed total, no fd bound (tests). */
    public static FlowBudgets of(int total, FlowRates rates) {
        return new FlowBudgets(total, false, rates);
    }

    public FlowBudget tcp() {
        return tcp;
    }

    public FlowBudget udp() {
        return udp;
    }

    public FlowBudget icmp() {
        return icmp;
    }

    public int total() {
        return total;
    }

    /** True when the open-file limit, not {@code --max-flows}, set the total. */
    public boolean fdBound() {
        return fdBound;
    }

    /** "tcp=U/M udp=U/M icmp=U/M": the stats line's budget part. */
    public String usage() {
        return "tcp=" + tcp + " udp=" + udp + " icmp=" + icmp;
    }
}
