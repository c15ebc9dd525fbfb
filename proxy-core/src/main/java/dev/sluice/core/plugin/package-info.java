/**
 * The plugin side of the core: finding plugins ({@link dev.sluice.core.plugin.PluginCatalog}:
 * ServiceLoader on the class path, pf4j with one SPI-only class loader per
 * plugin jar in plugins directories), parsing {@code --plugin}
 * ({@link dev.sluice.core.plugin.PluginSpec}), and the chain of filters that
 * implements {@link dev.sluice.core.flow.OutboundGate}
 * ({@link dev.sluice.core.plugin.FilterChain}) with its audit log and counters.
 * Also the core's implementations of the SPI's views of host, guest and
 * instance ({@link dev.sluice.core.plugin.LiveHostView} and friends).
 *
 * <p>Deliberately not here: when the gate is asked (the flow layer asks once
 * per new flow), what a reject looks like on the wire (RST, ICMP unreachable:
 * the flow layer), and the netlink details behind
 * {@link dev.sluice.core.plugin.LiveHostView} (route lookups and the address
 * monitor live in {@code host}). Plugins never see these
 * classes; they see {@code dev.sluice.api} only.
 */
package dev.sluice.core.plugin;
