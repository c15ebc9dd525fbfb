package dev.sluice.core.control;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.flow.FlowInfo;
import dev.sluice.core.plugin.FilterChain;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;

/**
 * What the packet loop copied for the control socket at one moment: immutable,
 * read by any thread. Its size is bounded: at most {@link #MAX_FLOWS} flows
 * ({@code flowsTruncated} says when there were more).
 *
 * @param takenAtMillis   wall-clock time of the copy
 * @param linkUp          whether a guest is attached
 * @param guestMac        the guest's MAC, 0 while unknown
 * @param seen            source addresses the guest was seen using (leases and flows)
 * @param counters        every non-zero counter, by name
 * @param tcp             live TCP flows
 * @param udp             live UDP flows (holding a socket)
 * @param icmp            live echo flows (holding a socket)
 * @param budgetUsed      flows counted against {@code --max-flows}
 * @param budgetMax       {@code --max-flows}
 * @param stages          the plugin chain's per-plugin counters, in chain order (empty without plugins)
 * @param undecided       flows no plugin decided
 * @param auditSuppressed audit lines the rate limit held back
 * @param flows           the flows, TCP first, then UDP, then ICMP
 * @param flowsTruncated  more flows existed than were copied
 */
public record Snapshot(long takenAtMillis, boolean linkUp, long guestMac, List<InetAddress> seen,
                       Map<String, Long> counters, int tcp, int udp, int icmp, int budgetUsed, int budgetMax,
                       List<FilterChain.StageStats> stages, long undecided, long auditSuppressed,
                       List<FlowInfo> flows, boolean flowsTruncated) {
    /** Most flows copied per snapshot: bounds the loop's work and each answer's size. */
    public static final int MAX_FLOWS = 10_000;

    /**
     * What does not change while the instance runs.
     *
     * @param version    the build's version
     * @param pid        the process id
     * @param startedAt  wall-clock start, milliseconds since the epoch
     * @param link       "stream PATH" or "tap NAME in namespace NS"
     * @param guest      the guest's address plan
     * @param controlPath the control socket
     */
    public record Facts(String version, long pid, long startedAt, String link, GuestConfig guest,
                        java.nio.file.Path controlPath) {
    }
}
