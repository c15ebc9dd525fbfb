package dev.sluice.api;

/**
 * Decides new outbound flows of the guest. Created once per {@code --plugin}
 * occurrence by {@link FlowFilterProvider#create(FilterContext)}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #decide(FlowAttempt)} runs on Sluice's event loop, the one
 *       thread that moves every packet of the guest, once per new flow (TCP
 *       SYN, first datagram of a UDP flow, first echo request of an ICMP echo
 *       identifier), never per packet of an established flow. It must be fast
 *       and must not block: no I/O, no DNS lookups, no locks that another
 *       thread may hold long. While it runs, the whole guest waits. Work that
 *       needs I/O belongs on a thread of the filter's own, publishing results
 *       that {@code decide} reads.</li>
 *   <li>Since one thread calls it, {@code decide} needs no synchronization
 *       with itself.</li>
 *   <li>Fail-closed: if {@code decide} throws or returns null, the flow is
 *       rejected, the failure is logged with the plugin's name and counted.
 *       An unsure filter should return {@link Verdict#CONTINUE} explicitly,
 *       not fail.</li>
 *   <li>{@link #close()} is called once when Sluice stops (from another
 *       thread, after the last {@code decide}); release threads and files
 *       there.</li>
 * </ul>
 */
public interface FlowFilter extends AutoCloseable {
    /**
     * @param flow the new flow; its outbound binding may be changed
     * @return never null
     */
    Verdict decide(FlowAttempt flow);

    /** Releases what the filter holds; by default nothing. Must not throw. */
    @Override
    default void close() {
    }
}
