/**
 * Sluice's core: the runtime wiring ({@code Sluice}), the guest's address plan
 * ({@link dev.sluice.core.GuestConfig}) and counters. Sub-packages own one concern each:
 * {@code wire} (codecs), {@code link} (guest links), {@code l2} (ARP/NDP/DHCP
 * responders), {@code flow} (translation to host sockets), {@code host}
 * (native calls and the host's network view), {@code plugin} (the filter
 * chain), {@code cli} (options). Nothing here talks to plugins directly.
 */
package dev.sluice.core;
