package dev.sluice.core.flow;

/** Protocols of guest flows, as the gate and the counters name them. */
public enum FlowProtocol {
    TCP, UDP, ICMP, ICMPV6
}
