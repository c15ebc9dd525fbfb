/**
 * Link-level services Sluice answers itself, as the guest's only neighbour:
 * the Ethernet {@link dev.sluice.core.l2.Dispatcher} (validation, guest MAC
 * learning, the optional per-frame {@link dev.sluice.core.l2.FrameGate} of
 * plugins, routing to responders and to the flow layer's L4 handlers), ARP,
 * NDP with router advertisements, DHCPv4 and DHCPv6. Each responder reads the
 * fixed address plan of {@link dev.sluice.core.GuestConfig}; none keeps
 * per-client state beyond what {@link dev.sluice.core.GuestState} records.
 *
 * <p>Deliberately not here: wire formats ({@code wire}), anything that opens
 * host sockets ({@code flow}), reassembly of IP fragments (dropped and
 * counted), VLANs, MLD, relays.
 */
package dev.sluice.core.l2;
