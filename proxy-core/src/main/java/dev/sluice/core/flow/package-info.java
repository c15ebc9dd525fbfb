/**
 * Guest flows turned into host sockets. This package holds what every
 * protocol shares: the contracts ({@link dev.sluice.core.flow.L4Handler},
 * {@link dev.sluice.core.flow.OutboundGate}, {@link dev.sluice.core.flow.FlowBudget}),
 * passt's address translation ({@link dev.sluice.core.flow.PasstAddressMapper}),
 * an allocation-free flow key, and {@link dev.sluice.core.flow.GuestFrames},
 * which builds IP packets and ICMP errors for the guest in place.
 * Sub-packages: {@code tcp}, {@code udp}, {@code icmp} (echo through ping
 * sockets) and {@code fwd} (inbound port forwarding).
 *
 * <p>Deliberately not here: codecs (see {@code wire}), the plugin chain
 * behind the gate (see {@code plugin}), native calls (see {@code host}).
 * Everything runs on the one event loop that owns the flows: no locks.
 */
package dev.sluice.core.flow;
