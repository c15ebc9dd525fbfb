package dev.sluice.plugins.rules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A binary trie over the bits of one address family whose nodes carry rules,
 * frozen into flat arrays. Each node that holds rules keeps them as sorted,
 * disjoint port segments covering 0..65535, each labelled with the lowest
 * index of the node's rules covering it ({@link #NONE} if none). A lookup
 * walks the address's bits from the root (at most 32 or 128 steps, fewer when
 * the trie is shallower) and at every node on the way binary-searches the port:
 * the smallest label seen is the first matching rule. The cost depends on the
 * prefix lengths and the rules per node, not on how many rules there are.
 *
 * <p>Immutable once built; {@link #lookup} allocates nothing.
 */
final class PrefixTrie {
    /** No rule matches. */
    static final int NONE = Integer.MAX_VALUE;

    private final int bits;
    private final int[] zero;
    private final int[] one;
    /** Per node: offset of its segments in {@link #segStart}, and how many (0: the node holds no rules). */
    private final int[] segOff;
    private final int[] segLen;
    private final int[] segStart;
    private final int[] segRule;

    private PrefixTrie(int bits, int[] zero, int[] one, int[] segOff, int[] segLen, int[] segStart, int[] segRule) {
        this.bits = bits;
        this.zero = zero;
        this.one = one;
        this.segOff = segOff;
        this.segLen = segLen;
        this.segStart = segStart;
        this.segRule = segRule;
    }

    /**
     * The lowest index of the rules whose prefix holds {@code address} and
     * whose ports hold {@code port}, or {@link #NONE}.
     *
     * @param address 4 or 16 bytes, of this trie's family
     */
    int lookup(byte[] address, int port) {
        int best = NONE;
        int node = 0;
        for (int i = 0; ; i++) {
            int n = segLen[node];
            if (n != 0) {
                int r = segment(segOff[node], n, port);
                if (r < best) {
                    best = r;
                }
            }
            if (i == bits) {
                return best;
            }
            int next = ((address[i >>> 3] >>> (7 - (i & 7))) & 1) == 0 ? zero[node] : one[node];
            if (next < 0) {
                return best;
            }
            node = next;
        }
    }

    /** As {@link #lookup} for an IPv4 trie, the address as an int (first octet in the high bits). */
    int lookup4(int address, int port) {
        int best = NONE;
        int node = 0;
        for (int i = 0; ; i++) {
            int n = segLen[node];
            if (n != 0) {
                int r = segment(segOff[node], n, port);
                if (r < best) {
                    best = r;
                }
            }
            if (i == bits) {
                return best;
            }
            int next = ((address >>> (31 - i)) & 1) == 0 ? zero[node] : one[node];
            if (next < 0) {
                return best;
            }
            node = next;
        }
    }

    /** The label of the last segment starting at or below {@code port}. */
    private int segment(int off, int n, int port) {
        int lo = off;
        int hi = off + n - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segStart[mid] <= port) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return segRule[lo];
    }

    int nodes() {
        return zero.length;
    }

    /** Collects rules, then {@link #build()}s the frozen trie. Not thread-safe. */
    static final class Builder {
        private final int bits;
        private int[] zero = new int[64];
        private int[] one = new int[64];
        private final List<List<int[]>> rules = new ArrayList<>();
        private int nodes;

        Builder(int bits) {
            this.bits = bits;
            newNode();
        }

        private int newNode() {
            if (nodes == zero.length) {
                zero = Arrays.copyOf(zero, nodes * 2);
                one = Arrays.copyOf(one, nodes * 2);
            }
            zero[nodes] = -1;
            one[nodes] = -1;
            rules.add(null);
            return nodes++;
        }

        /**
         * Adds a rule.
         *
         * @param prefix null or the prefix bytes; only the first {@code length} bits count
         */
        void add(byte[] prefix, int length, int portLow, int portHigh, int index) {
            int node = 0;
            for (int i = 0; i < length; i++) {
                boolean set = ((prefix[i >>> 3] >>> (7 - (i & 7))) & 1) != 0;
                int next = set ? one[node] : zero[node];
                if (next < 0) {
                    next = newNode();
                    if (set) {
                        one[node] = next;
                    } else {
                        zero[node] = next;
                    }
                }
                node = next;
            }
            List<int[]> here = rules.get(node);
            if (here == null) {
                here = new ArrayList<>(2);
                rules.set(node, here);
            }
            here.add(new int[] {portLow, portHigh, index});
        }

        PrefixTrie build() {
            int[] segOff = new int[nodes];
            int[] segLen = new int[nodes];
            IntList starts = new IntList();
            IntList labels = new IntList();
            for (int node = 0; node < nodes; node++) {
                List<int[]> here = rules.get(node);
                if (here == null) {
                    continue;
                }
                segOff[node] = starts.size;
                segments(here, starts, labels);
                segLen[node] = starts.size - segOff[node];
            }
            return new PrefixTrie(bits, Arrays.copyOf(zero, nodes), Arrays.copyOf(one, nodes), segOff, segLen,
                    starts.toArray(), labels.toArray());
        }

        /** A sweep over the range ends: O(k log k) for k rules at one node. */
        private static void segments(List<int[]> here, IntList starts, IntList labels) {
            List<int[]> byLow = new ArrayList<>(here);
            byLow.sort((a, b) -> Integer.compare(a[0], b[0]));
            List<int[]> byEnd = new ArrayList<>(here);
            byEnd.sort((a, b) -> Integer.compare(a[1], b[1]));
            TreeSet<Integer> active = new TreeSet<>();
            int li = 0;
            int ei = 0;
            int last = -1;
            int port = 0;
            while (port <= 65535) {
                while (li < byLow.size() && byLow.get(li)[0] == port) {
                    active.add(byLow.get(li++)[2]);
                }
                while (ei < byEnd.size() && byEnd.get(ei)[1] + 1 == port) {
                    active.remove(byEnd.get(ei++)[2]);
                }
                int label = active.isEmpty() ? NONE : active.first();
                if (label != last) {
                    starts.add(port);
                    labels.add(label);
                    last = label;
                }
                int nextLow = li < byLow.size() ? byLow.get(li)[0] : 65536;
                int nextEnd = ei < byEnd.size() ? byEnd.get(ei)[1] + 1 : 65536;
                port = Math.min(nextLow, nextEnd);
            }
        }
    }

    private static final class IntList {
        int[] a = new int[16];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
