package dev.sluice.plugins.guestaddr;

/** Address text for log lines and reasons, never resolving names. */
final class Texts {
    private Texts() {
    }

    /** RFC 5952 text of the IPv6 address {@code hi:lo} ({@code fd77::1}): the longest run of zero words becomes {@code ::}. */
    static String ipv6(long hi, long lo) {
        return dev.sluice.api.AddressText.ipv6(hi, lo);
    }
}
