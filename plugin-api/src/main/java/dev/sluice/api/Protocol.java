package dev.sluice.api;

/** The protocol of a guest flow. */
public enum Protocol {
    /** A TCP connection; decided on the guest's SYN. */
    TCP,
    /** A UDP flow (one guest socket to one destination); decided on its first datagram. */
    UDP,
    /** ICMP echo over IPv4; decided on the first echo request of an echo identifier. */
    ICMP,
    /** ICMPv6 echo; decided on the first echo request of an echo identifier. */
    ICMPV6;

    /** Whether this is one of the two ICMP flavours, whose "ports" are echo identifiers. */
    public boolean isIcmp() {
        return this == ICMP || this == ICMPV6;
    }
}
