package dev.sluice.core;

import dev.sluice.core.flow.fwd.PortSpec;

import java.net.InetAddress;
import java.util.List;

/**
 * The translation's options, validated: which protocols, passt's address
 * mapping (kept as given, resolved against the host's gateways at startup),
 * outbound bindings, inbound forwards and the flow cap.
 *
 * @param noTcp           {@code --no-tcp}
 * @param noUdp           {@code --no-udp}
 * @param noIcmp          {@code --no-icmp}
 * @param noMapGw         {@code --no-map-gw}
 * @param mapHostLoopback {@code --map-host-loopback} values (ADDR or none), in order
 * @param mapGuestAddr    {@code --map-guest-addr} values
 * @param dnsForward      {@code --dns-forward} values
 * @param dnsHost         {@code --dns-host} values
 * @param outbound        {@code -o} addresses (at most one per family)
 * @param outboundIf4     {@code --outbound-if4}, or null
 * @param outboundIf6     {@code --outbound-if6}, or null
 * @param tcpForwards     {@code -t} specs
 * @param udpForwards     {@code -u} specs
 * @param maxFlows        {@code --max-flows}
 * @param flowRates       {@code --flow-rate}
 */
public record FlowConfig(
        boolean noTcp, boolean noUdp, boolean noIcmp,
        boolean noMapGw, List<String> mapHostLoopback, List<String> mapGuestAddr,
        List<String> dnsForward, List<String> dnsHost,
        List<InetAddress> outbound, String outboundIf4, String outboundIf6,
        List<PortSpec> tcpForwards, List<PortSpec> udpForwards, int maxFlows,
        dev.sluice.core.flow.FlowRates flowRates) {

    public static final FlowConfig DEFAULT = new FlowConfig(false, false, false, false, List.of(), List.of(),
            List.of(), List.of(), List.of(), null, null, List.of(), List.of(),
            dev.sluice.core.flow.FlowBudget.DEFAULT_MAX);

    /** Without {@code --flow-rate}: no rate limits. */
    public FlowConfig(boolean noTcp, boolean noUdp, boolean noIcmp, boolean noMapGw, List<String> mapHostLoopback,
                      List<String> mapGuestAddr, List<String> dnsForward, List<String> dnsHost,
                      List<InetAddress> outbound, String outboundIf4, String outboundIf6,
                      List<PortSpec> tcpForwards, List<PortSpec> udpForwards, int maxFlows) {
        this(noTcp, noUdp, noIcmp, noMapGw, mapHostLoopback, mapGuestAddr, dnsForward, dnsHost, outbound,
                outboundIf4, outboundIf6, tcpForwards, udpForwards, maxFlows, dev.sluice.core.flow.FlowRates.NONE);
    }

    public FlowConfig {
        java.util.Objects.requireNonNull(flowRates, "flowRates");
        mapHostLoopback = List.copyOf(mapHostLoopback);
        mapGuestAddr = List.copyOf(mapGuestAddr);
        dnsForward = List.copyOf(dnsForward);
        dnsHost = List.copyOf(dnsHost);
        outbound = List.copyOf(outbound);
        tcpForwards = List.copyOf(tcpForwards);
        udpForwards = List.copyOf(udpForwards);
    }
}
