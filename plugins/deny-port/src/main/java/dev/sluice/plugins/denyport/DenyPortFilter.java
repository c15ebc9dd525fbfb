package dev.sluice.plugins.denyport;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.Verdict;
import java.util.BitSet;

/**
 * The deny-port decision: a bit test on the destination port. Runs on
 * Sluice's event loop, so it only reads state built at startup (the BitSet is
 * never written after construction) and allocates only for refused flows.
 */
final class DenyPortFilter implements FlowFilter {
    private final BitSet ports;
    private final DenyPortProvider.Mode mode;

    DenyPortFilter(BitSet ports, DenyPortProvider.Mode mode) {
        this.ports = ports;
        this.mode = mode;
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        if (flow.protocol().isIcmp()) {
            return Verdict.CONTINUE; // echo "ports" are identifiers, not services
        }
        // The built-in mapping changes addresses, never ports: either destination would do.
        int port = flow.mappedDestination().getPort();
        if (!ports.get(port)) {
            return Verdict.CONTINUE;
        }
        String reason = "destination port " + port + " is denied";
        return mode == DenyPortProvider.Mode.REJECT ? Verdict.reject(reason) : Verdict.drop(reason);
    }
}
