/**
 * The {@code guest-addr} plugin: guest-address enforcement. Flows the guest
 * starts from a source address it was not given (its IPv4 address, its
 * DHCPv6 address, SLAAC addresses in the advertised prefix, IPv6 link-local)
 * are dropped and audited; with {@code mac=enforce}, frames from any MAC but
 * the guest's are dropped too, through the SPI's frame hook. Depends on
 * {@code dev.sluice.api} alone.
 */
package dev.sluice.plugins.guestaddr;
