package dev.sluice.plugins.guestaddr;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.GuestView;
import dev.sluice.api.Verdict;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The flow check: a new flow's source must be the guest's IPv4 address, its
 * IPv6 (DHCPv6) address, an address in the advertised prefix when that
 * prefix is advertised for SLAAC, or an IPv6 link-local address. Anything
 * else is dropped, so the guest's application times out as behind a firewall
 * that drops spoofed sources.
 *
 * <p>The guest's plan is fixed for Sluice's run, so it is read from the view
 * once; {@link #decide} compares against precomputed numbers and constant
 * verdicts and allocates at most one 16-byte array (an IPv6 source checked
 * against the prefix).
 */
class GuestAddrFilter implements FlowFilter {
    private final Inet4Address addr4;
    private final Inet6Address addr6;
    private final boolean slaac;
    private final long prefixHi;
    private final long prefixLo;
    private final long maskHi;
    private final long maskLo;
    private final String prefixText;
    private final Verdict notGiven4;
    private final Verdict notGiven6;

    GuestAddrFilter(GuestView guest) {
        this.addr4 = guest.address4().orElse(null);
        this.addr6 = guest.address6().orElse(null);
        int len = addr6 == null ? 0 : Math.min(guest.prefixLength6(), 128);
        this.slaac = addr6 != null && guest.slaac() && len > 0;
        this.maskHi = mask(len);
        this.maskLo = mask(len - 64);
        this.prefixHi = addr6 == null ? 0 : hi(addr6.getAddress()) & maskHi;
        this.prefixLo = addr6 == null ? 0 : lo(addr6.getAddress()) & maskLo;
        this.prefixText = slaac ? Texts.ipv6(prefixHi, prefixLo) + "/" + len : null;
        this.notGiven4 = Verdict.drop(addr4 == null ? "the guest was given no IPv4 address"
                : "source is not the guest's IPv4 address " + addr4.getHostAddress());
        this.notGiven6 = Verdict.drop("source is not the guest's IPv6 address"
                + (addr6 == null ? "" : " " + Texts.ipv6(hi(addr6.getAddress()), lo(addr6.getAddress())))
                + (slaac ? ", in " + prefixText : "") + " or link-local");
    }

    /** The top {@code bits} bits of a 64-bit word set (0 for bits <= 0, all for bits >= 64). */
    private static long mask(int bits) {
        return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    private static long hi(byte[] a) {
        return word(a, 0);
    }

    private static long lo(byte[] a) {
        return word(a, 8);
    }

    private static long word(byte[] a, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (a[off + i] & 0xff);
        }
        return v;
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        InetAddress src = flow.source().getAddress();
        if (src instanceof Inet4Address) {
            return src.equals(addr4) ? Verdict.CONTINUE : notGiven4;
        }
        if (src.equals(addr6) || src.isLinkLocalAddress() || (slaac && inPrefix(src))) {
            return Verdict.CONTINUE;
        }
        return notGiven6;
    }

    private boolean inPrefix(InetAddress src) {
        byte[] a = src.getAddress();
        return (hi(a) & maskHi) == prefixHi && (lo(a) & maskLo) == prefixLo;
    }

    /** {@code 10.77.0.1, fd77::1, fd77::/64 (SLAAC), link-local}: what the startup log line lists. */
    String describe() {
        List<String> parts = new ArrayList<>();
        if (addr4 != null) {
            parts.add(addr4.getHostAddress());
        }
        if (addr6 != null) {
            parts.add(Texts.ipv6(hi(addr6.getAddress()), lo(addr6.getAddress())));
            if (slaac) {
                parts.add(prefixText + " (SLAAC)");
            }
        }
        parts.add("IPv6 link-local");
        return String.join(", ", parts);
    }
}
