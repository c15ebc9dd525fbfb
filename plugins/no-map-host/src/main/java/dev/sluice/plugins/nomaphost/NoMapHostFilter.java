package dev.sluice.plugins.nomaphost;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.HostView;
import dev.sluice.api.Verdict;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The no-map-host decision: one question to the host view per new flow,
 * {@link HostView#localInterface} on the mapped destination, which Sluice
 * answers from the kernel at that moment (a route lookup). Nothing is cached
 * here, so there is nothing to go stale: an address added a moment ago is
 * refused, one removed a moment ago is not. Allocates only for refused flows
 * (their reason) and for the IPv6 address bytes it inspects.
 */
final class NoMapHostFilter implements FlowFilter {
    private final HostView host;
    private final boolean allowLoopback;
    private final NoMapHostProvider.Mode mode;

    NoMapHostFilter(HostView host, boolean allowLoopback, NoMapHostProvider.Mode mode) {
        this.host = host;
        this.allowLoopback = allowLoopback;
        this.mode = mode;
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        InetAddress dst = unmapped(flow.mappedDestination().getAddress());
        // allow=loopback: what Sluice itself maps to loopback (the gateway, --map-host-loopback), never a
        // destination the guest sent as is; the host's other addresses stay closed.
        if (allowLoopback && flow.isMapped() && dst.isLoopbackAddress()) {
            return Verdict.CONTINUE;
        }
        String where = host.localInterface(dst);
        if (where == null) {
            return Verdict.CONTINUE;
        }
        String reason = "destination " + text(dst) + " is local to the host (" + where + ")";
        return mode == NoMapHostProvider.Mode.REJECT ? Verdict.reject(reason) : Verdict.drop(reason);
    }

    /**
     * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address a dual-stack socket would
     * reach; anything else unchanged.
     */
    static InetAddress unmapped(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a;
        }
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return a;
            }
        }
        if (b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return a;
        }
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
            return a;
        }
    }

    /** RFC 5952 text (fd66::1, not fd66:0:0:0:0:0:0:1), with the scope's name or number; never a name lookup. */
    static String text(InetAddress a) {
        return dev.sluice.api.AddressText.toString(a);
    }
}
