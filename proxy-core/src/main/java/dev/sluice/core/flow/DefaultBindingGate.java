package dev.sluice.core.flow;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * passt's {@code -o/--outbound} and {@code --outbound-if4/6}: the binding an
 * accepted flow gets when no plugin chose one. Wraps the gate so the default
 * is applied in the one place flows are decided, after the chain.
 */
public final class DefaultBindingGate implements OutboundGate {
    private final OutboundGate inner;
    private final InetAddress source4;
    private final InetAddress source6;
    private final String if4;
    private final String if6;

    private DefaultBindingGate(OutboundGate inner, InetAddress source4, InetAddress source6, String if4, String if6) {
        this.inner = inner;
        this.source4 = source4;
        this.source6 = source6;
        this.if4 = if4;
        this.if6 = if6;
    }

    /** {@code inner} itself when there is no default binding to apply. */
    public static OutboundGate wrap(OutboundGate inner, InetAddress source4, InetAddress source6, String if4, String if6) {
        if (source4 == null && source6 == null && if4 == null && if6 == null) {
            return inner;
        }
        return new DefaultBindingGate(inner, source4, source6, if4, if6);
    }

    @Override
    public GateDecision decide(FlowProtocol proto, InetSocketAddress guestSrc, InetSocketAddress dstAsSent,
                               InetSocketAddress dstMapped) {
        GateDecision d = inner.decide(proto, guestSrc, dstAsSent, dstMapped);
        if (d.action() != GateDecision.Action.ACCEPT) {
            return d;
        }
        boolean v4 = dstMapped.getAddress() instanceof Inet4Address;
        // Loopback destinations (the gateway mapping) cannot leave through an uplink.
        if (dstMapped.getAddress().isLoopbackAddress()) {
            return d;
        }
        String ifName = d.bindInterface() != null ? d.bindInterface() : v4 ? if4 : if6;
        InetAddress src = d.bindSource() != null ? d.bindSource() : v4 ? source4 : source6;
        if (ifName == d.bindInterface() && src == d.bindSource()) {
            return d;
        }
        return new GateDecision(GateDecision.Action.ACCEPT, ifName, src, d.plugin(), null); // keeps who decided
    }
}
