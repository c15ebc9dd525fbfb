package dev.sluice.core;

import dev.sluice.core.flow.FlowBudgets;
import dev.sluice.core.flow.fwd.PortSpec;
import dev.sluice.core.host.FdLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

/**
 * Startup: raises the open-file limit to its hard limit and derives the
 * per-protocol flow caps from it ({@link FlowBudgets}), so the flow tables
 * refuse new flows before the process runs out of descriptors.
 */
final class FlowLimits {
    private static final Logger log = LoggerFactory.getLogger(FlowLimits.class);

    private FlowLimits() {
    }

    static FlowBudgets budgets(FlowConfig fc) {
        long limit;
        try {
            limit = FdLimit.raiseToHard().soft();
        } catch (IOException e) {
            log.warn("cannot raise the open-file limit: {}", e.getMessage());
            try {
                limit = FdLimit.read().soft();
            } catch (IOException e2) {
                limit = FdLimit.INFINITY;
            }
        }
        long listeners = listeners(fc.tcpForwards()) + listeners(fc.udpForwards());
        FlowBudgets b = FlowBudgets.derive(fc.maxFlows(), limit, FdLimit.openCount(), listeners, fc.flowRates());
        if (b.fdBound()) {
            log.debug("flow caps {} (open-file limit {}, {} descriptors for forwarded ports): fewer than --max-flows {}",
                    b.usage(), limit, listeners, fc.maxFlows());
        } else {
            log.debug("flow caps {} (open-file limit {})", b.usage(), limit);
        }
        return b;
    }

    /** Descriptors the forwarded ports may hold: one socket per port and family (an upper bound). */
    private static long listeners(List<PortSpec> specs) {
        long n = 0;
        for (PortSpec s : specs) {
            long ports = s.isAll() ? 65535 : s.hostPorts().length;
            n += ports * (s.bindAddress() == null ? 2 : 1);
        }
        return n;
    }
}
