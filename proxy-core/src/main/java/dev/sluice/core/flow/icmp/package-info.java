/**
 * ICMP and ICMPv6 echo translation: {@link dev.sluice.core.flow.icmp.IcmpFlows}
 * answers the guest's pings through unprivileged ping sockets registered on
 * the event loop's epoll, one socket per (guest, destination, identifier).
 * {@link dev.sluice.core.flow.icmp.PingSockets} is the little native surface
 * it needs, {@link dev.sluice.core.flow.icmp.HostPingSockets} its default over host.PingSocket.
 *
 * <p>Deliberately not here: ICMP codecs (see {@code wire}), NDP and router
 * solicitations (L2 services), ICMP errors caused by UDP flows (see {@code udp}).
 */
package dev.sluice.core.flow.icmp;
