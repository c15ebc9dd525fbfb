/**
 * Inbound port forwarding: {@link dev.sluice.core.flow.fwd.PortSpec} parses
 * passt's {@code -t}/{@code -u} values, {@link dev.sluice.core.flow.fwd.PortForwarder}
 * opens the host listeners and hands what arrives to the TCP translation
 * (through {@link dev.sluice.core.flow.fwd.AcceptHandler}) or to the UDP
 * translation's reverse flows. pasta's namespace side: {@link dev.sluice.core.flow.fwd.NsForwarder}
 * ({@code -T}/{@code -U}, with {@link dev.sluice.core.flow.fwd.TcpSplice} and
 * {@link dev.sluice.core.flow.fwd.UdpNsRelay}) and {@link dev.sluice.core.flow.fwd.AutoForwards}
 * ({@code auto}: following the other side's listening ports).
 *
 * <p>Deliberately not here: the TCP state machine towards the guest (see
 * {@code tcp}), the UDP flow table (see {@code udp}), entering namespaces (see
 * {@code host.NsAccess}) and passt's target addresses ({@code :ADDR/PORT}).
 */
package dev.sluice.core.flow.fwd;
