package dev.sluice.core.host;

import java.net.InetAddress;

/**
 * A default route of the main table.
 *
 * @param family  4 or 6
 * @param gateway next hop, null for a directly connected default route
 * @param ifIndex outgoing interface (the first next hop's, for multipath routes)
 * @param metric  RTA_PRIORITY, 0 if absent
 */
public record HostRoute(int family, InetAddress gateway, int ifIndex, int metric) {
}
