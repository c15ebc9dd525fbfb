package dev.sluice.core.control;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestState;
import dev.sluice.core.flow.FlowInfo;
import dev.sluice.core.flow.icmp.IcmpFlows;
import dev.sluice.core.flow.tcp.TcpFlows;
import dev.sluice.core.flow.udp.UdpFlows;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.plugin.FilterChain;
import java.util.ArrayList;
import java.util.List;

/**
 * The packet loop's state a {@link Snapshot} copies. {@link #take} runs on
 * that loop only (the flow tables are not thread-safe); its work is bounded
 * by {@link Snapshot#MAX_FLOWS}.
 */
public final class LoopState {
    private final Counters counters;
    private final GuestState guest;
    private final GuestLink link;
    private final dev.sluice.core.flow.FlowBudgets budget;
    private final FilterChain chain;
    private final TcpFlows tcp;
    private final UdpFlows udp;
    private final IcmpFlows icmp;

    /** Any of chain, tcp, udp, icmp may be null (no plugins, protocol switched off). */
    public LoopState(Counters counters, GuestState guest, GuestLink link, dev.sluice.core.flow.FlowBudgets budget, FilterChain chain,
                     TcpFlows tcp, UdpFlows udp, IcmpFlows icmp) {
        this.counters = counters;
        this.guest = guest;
        this.link = link;
        this.budget = budget;
        this.chain = chain;
        this.tcp = tcp;
        this.udp = udp;
        this.icmp = icmp;
    }

    /** The copy; on the packet loop. */
    Snapshot take() {
        int max = Snapshot.MAX_FLOWS + 1; // one more tells "truncated"
        List<FlowInfo> flows = new ArrayList<>();
        if (tcp != null) {
            tcp.snapshot(flows, max);
        }
        if (udp != null) {
            udp.snapshot(flows, max);
        }
        if (icmp != null) {
            icmp.snapshot(flows, max);
        }
        boolean truncated = flows.size() > Snapshot.MAX_FLOWS;
        if (truncated) {
            flows = flows.subList(0, Snapshot.MAX_FLOWS);
        }
        return new Snapshot(System.currentTimeMillis(), link.isUp(), guest.mac(),
                List.copyOf(guest.seenAddresses()), counters.snapshot(),
                tcp != null ? tcp.activeFlows() : 0, udp != null ? udp.activeFlows() : 0,
                icmp != null ? icmp.activeFlows() : 0, budget.tcp().used() + budget.udp().used() + budget.icmp().used(), budget.total(),
                chain != null ? chain.stageStats() : List.of(), chain != null ? chain.undecided() : 0,
                chain != null ? chain.auditSuppressed() : 0, List.copyOf(flows), truncated);
    }
}
