package dev.sluice.plugins.outboundif;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Longest-prefix match for one address family, built once and then only read.
 *
 * <p>Prefixes either nest or are disjoint, so together they cut the address
 * space into ranges in each of which one prefix is the longest match (or
 * none). The table stores those ranges' starts, sorted, with the winning value
 * of each: a lookup is one binary search over two {@code long} arrays, at most
 * ~log2(2n) steps whatever the prefix lengths, and allocates nothing.
 *
 * @param <T> what a prefix maps to
 */
final class PrefixTable<T> {
    private final long[] startHi;
    private final long[] startLo;
    private final Object[] values; // values[i] holds from start i up to start i+1; null = no prefix matches

    private PrefixTable(long[] startHi, long[] startLo, Object[] values) {
        this.startHi = startHi;
        this.startLo = startLo;
        this.values = values;
    }

    /** One prefix and its value. */
    record Entry<T>(Prefix prefix, T value) {
    }

    /**
     * Builds the table for prefixes of one family; no prefix may appear twice.
     *
     * @throws IllegalArgumentException on a repeated prefix or mixed families
     */
    static <T> PrefixTable<T> build(boolean v6, List<Entry<T>> entries) {
        List<Entry<T>> sorted = new ArrayList<>(entries);
        // By start, wider first: a prefix then only ever nests in the ones before it.
        sorted.sort(Comparator.<Entry<T>, Prefix>comparing(Entry::prefix, PrefixTable::compareStart)
                .thenComparingInt(e -> e.prefix().length()));
        Ranges out = new Ranges();
        List<Entry<T>> open = new ArrayList<>(); // nested prefixes containing the current point, innermost last
        Entry<T> previous = null;
        for (Entry<T> e : sorted) {
            Prefix p = e.prefix();
            if (p.v6() != v6) {
                throw new IllegalArgumentException("prefix " + p + " is not " + (v6 ? "IPv6" : "IPv4"));
            }
            if (previous != null && previous.prefix().equals(p)) {
                throw new IllegalArgumentException("prefix " + p + " is given twice");
            }
            previous = e;
            close(open, out, p.hi(), p.lo(), false);
            open.add(e);
            out.add(p.hi(), p.lo(), e.value());
        }
        close(open, out, 0, 0, true); // the end of the address space
        return new PrefixTable<>(out.hi(), out.lo(), out.values.toArray());
    }

    /**
     * Closes the open prefixes that end before (hi, lo), or all of them; after
     * each, the enclosing one (or none) resumes.
     */
    private static <T> void close(List<Entry<T>> open, Ranges out, long hi, long lo, boolean all) {
        while (!open.isEmpty()) {
            Prefix top = open.get(open.size() - 1).prefix();
            long endHi = top.endHi();
            long endLo = top.endLo();
            if (!all && compare(endHi, endLo, hi, lo) >= 0) {
                return; // (hi, lo) is inside top
            }
            open.remove(open.size() - 1);
            boolean atMax = top.v6() ? endHi == -1L && endLo == -1L : endLo == 0xffff_ffffL;
            if (!atMax) {
                long nextLo = endLo + 1;
                long nextHi = nextLo == 0 ? endHi + 1 : endHi;
                out.add(nextHi, nextLo, open.isEmpty() ? null : open.get(open.size() - 1).value());
            }
        }
    }

    private static int compareStart(Prefix a, Prefix b) {
        return compare(a.hi(), a.lo(), b.hi(), b.lo());
    }

    static int compare(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compareUnsigned(hi1, hi2);
        return c != 0 ? c : Long.compareUnsigned(lo1, lo2);
    }

    /**
     * The value of the longest prefix containing the address (hi, lo), in
     * {@link Prefix}'s numbering; null if none does.
     */
    @SuppressWarnings("unchecked")
    T lookup(long hi, long lo) {
        int low = 0;
        int high = startHi.length - 1;
        int found = -1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (compare(startHi[mid], startLo[mid], hi, lo) <= 0) {
                found = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return found < 0 ? null : (T) values[found];
    }

    /** How many ranges the table holds (for tests). */
    int ranges() {
        return values.length;
    }

    /** Range starts in order with their values, merging neighbours of equal value. */
    private static final class Ranges {
        final List<Long> his = new ArrayList<>();
        final List<Long> los = new ArrayList<>();
        final List<Object> values = new ArrayList<>();

        void add(long hi, long lo, Object value) {
            int n = values.size();
            if (n > 0 && his.get(n - 1) == hi && los.get(n - 1) == lo) {
                // Several prefixes ended at once: the last word on this start wins.
                his.remove(n - 1);
                los.remove(n - 1);
                values.remove(n - 1);
                n--;
            }
            if (n > 0 && values.get(n - 1) == value) {
                return; // continues the range before
            }
            if (n == 0 && value == null) {
                return; // nothing matches before the first range anyway
            }
            his.add(hi);
            los.add(lo);
            values.add(value);
        }

        long[] hi() {
            return his.stream().mapToLong(Long::longValue).toArray();
        }

        long[] lo() {
            return los.stream().mapToLong(Long::longValue).toArray();
        }
    }
}
