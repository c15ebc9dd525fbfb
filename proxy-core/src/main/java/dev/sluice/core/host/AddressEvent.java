package dev.sluice.core.host;

/**
 * An address change seen by {@link NetlinkMonitor}.
 *
 * @param added   true for RTM_NEWADDR (a new address, or a change to an existing one such as
 *                the end of DAD), false for RTM_DELADDR
 * @param address the address concerned
 */
public record AddressEvent(boolean added, HostAddress address) {
}
