/**
 * The {@code outbound-if} plugin: per-destination outbound interface and
 * source address for guest flows. Parses rules ({@code Rule}, {@code Prefix}),
 * builds a longest-prefix table per family ({@code PrefixTable}) and binds each
 * new flow through the SPI's outbound binding ({@code OutboundIfFilter}). It
 * does not touch routing tables, watch links in the background, or re-read
 * its rule file: interfaces and sources are checked at each decision instead.
 * Depends on {@code dev.sluice.api} alone.
 */
package dev.sluice.plugins.outboundif;
