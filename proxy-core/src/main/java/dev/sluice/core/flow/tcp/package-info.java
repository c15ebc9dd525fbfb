/**
 * TCP translation: every guest TCP connection becomes an ordinary host socket
 * (a netty epoll {@code SocketChannel} on the instance's event loop) and back.
 * {@link dev.sluice.core.flow.tcp.TcpFlows} is the entry point (guest segments,
 * inbound port-forwarded connections, link down, link backpressure);
 * {@code TcpFlow} is one connection's state machine towards the guest, with
 * its receive half ({@code TcpReceiver}), send half ({@code TcpSender}, over
 * {@code TcpSendQueue}) and clocks ({@code TcpTimers}); segments are
 * described by {@code TcpRepr} values along a per-flow {@code TcpPath}.
 *
 * <p>passt's approach: no TCP stack of our own towards the peer. The host
 * kernel does real TCP with the peer; towards the guest Sluice keeps only what
 * it must: sequence numbers, windows, the unacknowledged host data (Java has no
 * {@code MSG_PEEK}-and-discard, so it is kept in a per-flow buffer bounded by
 * the guest's window), retransmission timers. New outbound flows are decided
 * exactly once, at the guest's SYN: address mapping, the outbound gate, the
 * flow budget, then a non-blocking connect; the SYN-ACK goes to the guest only
 * once the host connect succeeded, a refusal is RST+ACK acknowledging the SYN.
 *
 * <p>Deliberately not here: SACK and timestamps towards the guest (never
 * offered, so never used), urgent data (relayed as ordinary data), TCP
 * Fast Open (data on a SYN is not acknowledged; the guest sends it again),
 * ICMP errors for refused or unreachable destinations (RST+ACK is sent),
 * and anything about which flows are allowed (the gate's business).
 */
package dev.sluice.core.flow.tcp;
