package dev.sluice.core.flow.tcp;

import java.util.ArrayList;
import java.util.List;

/**
 * Open-addressing hash table of TCP flows keyed by (family, guest address and
 * port, peer address and port), the peer being the remote end as the guest
 * sees it. Lookups take the key as primitives, so finding a flow for a guest
 * segment allocates nothing. Linear probing with backward-shift deletion (no
 * tombstones); event loop only.
 */
final class TcpFlowTable {
    private TcpFlow[] slots = new TcpFlow[64];
    private int size;

    static int hash(boolean v6, long gHi, long gLo, int gPort, long pHi, long pLo, int pPort) {
        long h = gHi * 0x9E3779B97F4A7C15L;
        h = (h ^ gLo) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ pHi) * 0x9E3779B97F4A7C15L;
        h = (h ^ pLo) * 0xC2B2AE3D27D4EB4FL;
        h ^= ((long) gPort << 16 | pPort) ^ (v6 ? 0x5555_0000_0000L : 0);
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h;
    }

    int size() {
        return size;
    }

    TcpFlow get(boolean v6, long gHi, long gLo, int gPort, long pHi, long pLo, int pPort) {
        int mask = slots.length - 1;
        int i = hash(v6, gHi, gLo, gPort, pHi, pLo, pPort) & mask;
        while (true) {
            TcpFlow f = slots[i];
            if (f == null) {
                return null;
            }
            if (f.guestPort == gPort && f.peerPort == pPort && f.guestLo == gLo && f.peerLo == pLo
                    && f.guestHi == gHi && f.peerHi == pHi && f.v6 == v6) {
                return f;
            }
            i = (i + 1) & mask;
        }
    }

    /** Adds a flow whose key is not in the table. */
    void put(TcpFlow f) {
        if ((size + 1) * 2 > slots.length) {
            grow();
        }
        insert(slots, f);
        size++;
    }

    private static void insert(TcpFlow[] s, TcpFlow f) {
        int mask = s.length - 1;
        int i = f.hash & mask;
        while (s[i] != null) {
            i = (i + 1) & mask;
        }
        s[i] = f;
    }

    private void grow() {
        TcpFlow[] old = slots;
        TcpFlow[] s = new TcpFlow[old.length * 2];
        for (TcpFlow f : old) {
            if (f != null) {
                insert(s, f);
            }
        }
        slots = s;
    }

    /** Removes this very flow object; false when it is not in the table. */
    boolean remove(TcpFlow f) {
        int mask = slots.length - 1;
        int i = f.hash & mask;
        while (slots[i] != f) {
            if (slots[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        // backward-shift: pull later members of the probe run into the hole
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            TcpFlow g = slots[j];
            if (g == null) {
                break;
            }
            int home = g.hash & mask;
            // g may move into the hole unless its home lies cyclically in (hole, j]
            boolean homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInRange) {
                slots[hole] = g;
                hole = j;
            }
        }
        slots[hole] = null;
        size--;
        return true;
    }

    /** A copy of the members, for teardown (which removes while walking). */
    List<TcpFlow> snapshot() {
        List<TcpFlow> out = new ArrayList<>(size);
        for (TcpFlow f : slots) {
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }
}
