/**
 * Inbound port forwarding: {@link dev.sluice.core.flow.fwd.PortSpec} parses
 * passt's {@code -t}/{@code -u} values, {@link dev.sluice.core.flow.fwd.PortForwarder}
 * opens the host listeners and hands what arrives to the TCP translation
 * (through {@link dev.sluice.core.flow.fwd.AcceptHandler}) or to the UDP
 * translation's reverse flows.
 *
 * <p>Deliberately not here: the TCP state machine towards the guest (see
 * {@code tcp}), the UDP flow table (see {@code udp}), pasta's {@code auto}
 * port scanning and passt's target addresses ({@code :ADDR/PORT}).
 */
package dev.sluice.core.flow.fwd;
