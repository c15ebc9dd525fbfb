package dev.sluice.core.flow.tcp;

/**
 * The addresses and ports of segments to the guest for one flow: from the
 * peer as the guest sees it, to the guest. Made once per flow (and once per
 * reset of an unknown tuple), never per packet. IPv4 addresses sit in the low
 * 32 bits of the low halves.
 */
record TcpPath(boolean v6, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort) {
}
