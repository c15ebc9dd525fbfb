package dev.sluice.core;

import java.net.InetAddress;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What Sluice has learned about the guest at run time: its MAC (from the
 * first frame, unless {@code -M} fixed it) and the source addresses it has
 * been seen using. Written on the event loop only; the address set is
 * published as an immutable copy so plugins may read it from the loop cheaply.
 */
public final class GuestState {
    /** Enough for every address a real guest uses at once: IPv4, global and temporary IPv6, link-local. */
    public static final int MAX_SEEN = 16;
    private volatile long mac;
    private final Set<InetAddress> seen = new LinkedHashSet<>();
    private volatile Set<InetAddress> seenView = Set.of();

    public GuestState(long configuredMac) {
        this.mac = configuredMac;
    }

    /** The guest's MAC, or 0 while unknown (frames to the guest then go to broadcast). */
    public long mac() {
        return mac;
    }

    /** Learns the guest's MAC from a frame's source; a fixed {@code -M} is never overwritten by callers. */
    public void learnMac(long mac) {
        this.mac = mac;
    }

    /**
     * Records a source address the guest used (called when a new flow or lease is seen, not per packet).
     * Only the {@value #MAX_SEEN} most recently first-seen addresses are kept: a guest sending from ever
     * new source addresses must not grow this set, and the copy made per new address, without bound.
     */
    public void sawAddress(InetAddress a) {
        if (seen.contains(a)) {
            return;
        }
        if (seen.size() >= MAX_SEEN) {
            Iterator<InetAddress> eldest = seen.iterator();
            eldest.next();
            eldest.remove();
        }
        seen.add(a);
        seenView = Collections.unmodifiableSet(new LinkedHashSet<>(seen));
    }

    public Set<InetAddress> seenAddresses() {
        return seenView;
    }
}
