package dev.sluice.plugins.vmisolation;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * An immutable snapshot of who listens where: this instance's forwards and
 * those of the other live instances. Built off the event loop by the
 * registry watcher and read by {@code decide} without locks; a flow to a port
 * no other instance forwards costs one bit test.
 */
final class PortIndex {
    /**
     * One forward of one instance.
     *
     * @param own        whether it is this instance's
     * @param instanceId the instance's id
     * @param pid        the instance's pid
     * @param forward    the forward
     */
    record Claim(boolean own, String instanceId, long pid, PortForward forward) {
    }

    private final BitSet othersTcp = new BitSet(65536);
    private final BitSet othersUdp = new BitSet(65536);
    /** Own claims first, so that on equal specificity this instance's listener wins (see {@link #listener}). */
    private final Claim[] claims;
    private final int otherInstances;

    private PortIndex(Claim[] claims, int otherInstances) {
        this.claims = claims;
        this.otherInstances = otherInstances;
        for (Claim c : claims) {
            if (!c.own()) {
                (c.forward().protocol() == Protocol.TCP ? othersTcp : othersUdp)
                        .set(c.forward().firstPort(), c.forward().lastPort() + 1);
            }
        }
    }

    /** The index of {@code self}'s forwards and the forwards of {@code others} (the live instances). */
    static PortIndex build(RegistryEntry self, List<RegistryEntry> others) {
        List<Claim> claims = new ArrayList<>();
        for (PortForward f : self.forwards()) {
            claims.add(new Claim(true, self.id(), self.pid(), f));
        }
        for (RegistryEntry e : others) {
            for (PortForward f : e.forwards()) {
                claims.add(new Claim(false, e.id(), e.pid(), f));
            }
        }
        return new PortIndex(claims.toArray(Claim[]::new), others.size());
    }

    /** Whether some other instance forwards {@code port} of {@code protocol} on some address. */
    boolean othersForward(Protocol protocol, int port) {
        return switch (protocol) {
            case TCP -> othersTcp.get(port);
            case UDP -> othersUdp.get(port);
            default -> false;
        };
    }

    /**
     * The forward whose host socket would receive a connection or datagram
     * to {@code address:port}, as the kernel picks it: a listener bound to
     * exactly that address beats a wildcard one. Wildcards: no address (Sluice
     * listens on both families), or {@code 0.0.0.0} / {@code ::} (that family
     * only; Sluice sets IPV6_V6ONLY). Null when no instance forwards it.
     */
    Claim listener(Protocol protocol, InetAddress address, int port) {
        Claim wildcard = null;
        for (Claim c : claims) {
            PortForward f = c.forward();
            if (f.protocol() != protocol || port < f.firstPort() || port > f.lastPort()) {
                continue;
            }
            InetAddress bound = f.address();
            if (bound == null) {
                if (wildcard == null) {
                    wildcard = c;
                }
            } else if (bound.isAnyLocalAddress()) {
                if (wildcard == null && (bound instanceof Inet4Address) == (address instanceof Inet4Address)) {
                    wildcard = c;
                }
            } else if (bound.equals(address)) {
                return c;
            }
        }
        return wildcard;
    }

    /** How many other live instances the snapshot holds. */
    int otherInstances() {
        return otherInstances;
    }
}
