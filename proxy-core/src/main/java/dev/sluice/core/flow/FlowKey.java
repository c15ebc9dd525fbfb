package dev.sluice.core.flow;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A flow's identity as the guest sees it: (guest address, guest port, remote
 * address, remote port), the port being the echo identifier for ICMP (with a
 * remote port of 0). Mutable on purpose: each table keeps one probe key and
 * sets it from a packet's fields for the lookup, so an established flow costs
 * no allocation; {@link #copy()} makes the key stored in the table.
 *
 * <p>IPv4 addresses are stored in their IPv4-mapped IPv6 form, so one key type
 * serves both families without a family field.
 */
public final class FlowKey implements Comparable<FlowKey> {
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;
    /** Per-process seed so a guest cannot aim at known hash collisions. */
    private static final long SEED = ThreadLocalRandom.current().nextLong();

    private long aHi;
    private long aLo;
    private long bHi;
    private long bLo;
    private int ports;
    private int hash;

    public FlowKey setV4(int guest, int guestPort, int remote, int remotePort) {
        return setV6(0, V4_MAPPED | (guest & 0xffff_ffffL), guestPort, 0, V4_MAPPED | (remote & 0xffff_ffffL),
                remotePort);
    }

    public FlowKey setV6(long guestHi, long guestLo, int guestPort, long remoteHi, long remoteLo, int remotePort) {
        this.aHi = guestHi;
        this.aLo = guestLo;
        this.bHi = remoteHi;
        this.bLo = remoteLo;
        this.ports = (guestPort << 16) | (remotePort & 0xffff);
        long h = SEED;
        h = mix(h ^ aHi);
        h = mix(h ^ aLo);
        h = mix(h ^ bHi);
        h = mix(h ^ bLo);
        h = mix(h ^ ports);
        this.hash = (int) (h ^ (h >>> 32));
        return this;
    }

    private static long mix(long z) {
        // SplitMix64 finaliser: cheap and well spread.
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public FlowKey copy() {
        FlowKey k = new FlowKey();
        k.aHi = aHi;
        k.aLo = aLo;
        k.bHi = bHi;
        k.bLo = bLo;
        k.ports = ports;
        k.hash = hash;
        return k;
    }

    public int guestPort() {
        return ports >>> 16;
    }

    public int remotePort() {
        return ports & 0xffff;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && k.hash == hash && k.ports == ports && k.aLo == aLo && k.bLo == bLo
                && k.aHi == aHi && k.bHi == bHi;
    }

    /** Total order so HashMap can fall back to a tree on collisions. */
    @Override
    public int compareTo(FlowKey o) {
        int c = Long.compare(aHi, o.aHi);
        if (c == 0) {
            c = Long.compare(aLo, o.aLo);
        }
        if (c == 0) {
            c = Long.compare(bHi, o.bHi);
        }
        if (c == 0) {
            c = Long.compare(bLo, o.bLo);
        }
        return c != 0 ? c : Integer.compare(ports, o.ports);
    }

    @Override
    public String toString() {
        return Long.toHexString(aHi) + ":" + Long.toHexString(aLo) + "." + guestPort() + " > "
                + Long.toHexString(bHi) + ":" + Long.toHexString(bLo) + "." + remotePort();
    }
}
