package dev.sluice.core.flow;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which guest address inbound traffic goes to (passt's {@code addr_seen}
 * rule): the most recently first-seen source address of that family the
 * guest used, link-local only when the guest-visible source is link-local,
 * else the configured address. Called once per new inbound flow.
 */
public final class GuestAddresses {
    private GuestAddresses() {
    }

    /** @return the guest's address for an inbound flow appearing from {@code visibleSrc}, or null when it has none */
    public static InetAddress pick(SluiceContext ctx, InetAddress visibleSrc) {
        boolean v6 = visibleSrc instanceof Inet6Address;
        boolean wantLinkLocal = v6 && visibleSrc.isLinkLocalAddress();
        InetAddress seen = null;
        for (InetAddress a : ctx.guestState().seenAddresses()) {
            if (v6 ? (a instanceof Inet6Address && a.isLinkLocalAddress() == wantLinkLocal)
                    : a instanceof Inet4Address) {
                seen = a;
            }
        }
        if (seen != null) {
            return seen;
        }
        GuestConfig g = ctx.guest();
        if (v6) {
            return g.ipv6() && !wantLinkLocal ? g.addr6() : null;
        }
        return g.ipv4() ? g.addr4() : null;
    }
}
