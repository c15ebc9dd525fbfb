package dev.sluice.core.flow;

import java.net.InetSocketAddress;

/**
 * The single place where a new guest-initiated flow is decided: called once
 * per new flow (TCP SYN, first datagram of a UDP flow, first echo of an ICMP
 * id), on the event loop, after the built-in address mapping and before any
 * host socket exists. The plugin chain implements it; nothing calls it per
 * packet of an established flow.
 */
public interface OutboundGate {
    /** Lets every flow through unbound: the behaviour without plugins. */
    OutboundGate ALLOW_ALL = (proto, guestSrc, dstAsSent, dstMapped) -> GateDecision.ACCEPT;

    /**
     * @param proto     the flow's protocol
     * @param guestSrc  the guest's source address and port (ICMP: the echo id as port)
     * @param dstAsSent destination as the guest sent it
     * @param dstMapped destination after the built-in mapping (gateway to loopback, ...): where the host socket goes
     */
    GateDecision decide(FlowProtocol proto, InetSocketAddress guestSrc, InetSocketAddress dstAsSent,
                        InetSocketAddress dstMapped);
}
