/**
 * UDP translation: {@link dev.sluice.core.flow.udp.UdpFlows} turns each guest
 * UDP flow into its own connected host socket (netty epoll datagram channel
 * on the instance's event loop) and carries inbound flows for forwarded
 * ports in the same table. It owns the UDP flow table, idle expiry and the
 * ICMP errors that UDP flows cause.
 *
 * <p>Deliberately not here: listening on forwarded ports (see {@code fwd}),
 * the plugin chain (reached only through {@code OutboundGate}), DHCP and
 * DHCPv6 (answered by the L2 services before UDP sees them).
 */
package dev.sluice.core.flow.udp;
