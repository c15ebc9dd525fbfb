package dev.sluice.plugins.outboundif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrefixTableTest {
    private static PrefixTable<String> table(boolean v6, String... prefixes) {
        List<PrefixTable.Entry<String>> entries = new ArrayList<>();
        for (String p : prefixes) {
            entries.add(new PrefixTable.Entry<>(Prefix.parse(p), p));
        }
        return PrefixTable.build(v6, entries);
    }

    private static String find(PrefixTable<String> t, String address) throws Exception {
        byte[] b = InetAddress.getByName(address).getAddress();
        return b.length == 4 ? t.lookup(0, Prefix.word4(b)) : t.lookup(Prefix.word(b, 0), Prefix.word(b, 8));
    }

    @Test
    void longestPrefixWinsIpv4() throws Exception {
        PrefixTable<String> t = table(false, "10.0.0.0/8", "10.99.0.0/16", "10.99.0.0/24", "10.99.0.1/32", "0.0.0.0/0",
                "10.99.0.128/25", "192.168.0.0/16");
        assertEquals("10.99.0.1/32", find(t, "10.99.0.1"));
        assertEquals("10.99.0.0/24", find(t, "10.99.0.0"));
        assertEquals("10.99.0.0/24", find(t, "10.99.0.2"));
        assertEquals("10.99.0.0/24", find(t, "10.99.0.127"));
        assertEquals("10.99.0.128/25", find(t, "10.99.0.128"));
        assertEquals("10.99.0.128/25", find(t, "10.99.0.255"));
        assertEquals("10.99.0.0/16", find(t, "10.99.1.0"));
        assertEquals("10.99.0.0/16", find(t, "10.99.255.255"));
        assertEquals("10.0.0.0/8", find(t, "10.100.0.0"));
        assertEquals("10.0.0.0/8", find(t, "10.98.255.255"));
        assertEquals("0.0.0.0/0", find(t, "9.255.255.255"));
        assertEquals("0.0.0.0/0", find(t, "11.0.0.0"));
        assertEquals("192.168.0.0/16", find(t, "192.168.7.7"));
        assertEquals("0.0.0.0/0", find(t, "255.255.255.255"));
        assertEquals("0.0.0.0/0", find(t, "0.0.0.0"));
    }

    @Test
    void gapsMatchNothing() throws Exception {
        PrefixTable<String> t = table(false, "10.99.0.0/24", "10.99.0.1/32", "255.255.255.255/32", "0.0.0.0/32");
        assertNull(find(t, "10.98.255.255"));
        assertEquals("10.99.0.0/24", find(t, "10.99.0.0"));
        assertEquals("10.99.0.1/32", find(t, "10.99.0.1"));
        assertNull(find(t, "10.99.1.0"));
        assertEquals("255.255.255.255/32", find(t, "255.255.255.255"));
        assertNull(find(t, "255.255.255.254"));
        assertEquals("0.0.0.0/32", find(t, "0.0.0.0"));
        assertNull(find(t, "0.0.0.1"));
        assertNull(find(table(false), "10.0.0.1"));
        assertNull(find(table(true), "fd99::1"));
    }

    @Test
    void longestPrefixWinsIpv6AcrossTheHalves() throws Exception {
        PrefixTable<String> t = table(true, "::/0", "fd99::/64", "fd99::1/128", "fd99::/16", "fd99:0:0:0:8000::/65",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "fd98:ffff:ffff:ffff::/64");
        assertEquals("fd99::1/128", find(t, "fd99::1"));
        assertEquals("fd99::/64", find(t, "fd99::2"));
        assertEquals("fd99::/64", find(t, "fd99::7fff:ffff:ffff:ffff"));
        assertEquals("fd99:0:0:0:8000::/65", find(t, "fd99::8000:0:0:0"));
        assertEquals("fd99:0:0:0:8000::/65", find(t, "fd99::ffff:ffff:ffff:ffff"));
        assertEquals("fd99::/16", find(t, "fd99:0:0:1::"));
        assertEquals("fd98:ffff:ffff:ffff::/64", find(t, "fd98:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertEquals("::/0", find(t, "fd98:ffff:ffff:fffe:ffff:ffff:ffff:ffff"));
        assertEquals("::/0", find(t, "fd9a::"));
        assertEquals("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", find(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertEquals("::/0", find(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
        assertEquals("::/0", find(t, "::"));
    }

    @Test
    void refusesRepeatsAndTheOtherFamily() {
        assertEquals("prefix 10.99.0.0/24 is given twice",
                assertThrows(IllegalArgumentException.class, () -> table(false, "10.99.0.0/24", "10.0.0.0/8", "10.99.0.0/24")).getMessage());
        assertEquals("prefix fd99::/64 is not IPv4",
                assertThrows(IllegalArgumentException.class, () -> table(false, "fd99::/64")).getMessage());
    }

    /** Random nested and disjoint prefixes against a linear scan, both families. */
    @Test
    void agreesWithABruteForceScan() {
        Random rnd = new Random(42);
        for (int round = 0; round < 40; round++) {
            boolean v6 = round % 2 == 1;
            int bits = v6 ? 128 : 32;
            // Few distinct high bits so that prefixes nest often.
            long baseHi = v6 ? 0xfd99_0000_0000_0000L : 0;
            List<Prefix> prefixes = new ArrayList<>();
            Set<Prefix> seen = new HashSet<>();
            int n = 1 + rnd.nextInt(60);
            while (prefixes.size() < n) {
                int len = rnd.nextInt(bits + 1);
                long hi = v6 ? baseHi ^ (rnd.nextInt(4) & 3L) : 0;
                long lo = v6 ? rnd.nextLong() & 0xf000_0000_0000_00ffL : (0x0a63_0000L | rnd.nextInt(1 << 12)) & 0xffff_ffffL;
                Prefix p = v6 ? prefix6(hi, lo, len) : Prefix.of(ipv4(lo), len);
                if (seen.add(p)) {
                    prefixes.add(p);
                }
            }
            List<PrefixTable.Entry<Prefix>> entries = new ArrayList<>();
            prefixes.forEach(p -> entries.add(new PrefixTable.Entry<>(p, p)));
            PrefixTable<Prefix> t = PrefixTable.build(v6, entries);
            for (int probe = 0; probe < 2000; probe++) {
                long hi;
                long lo;
                if (probe % 3 == 0) { // on a boundary, or next to one
                    Prefix p = prefixes.get(rnd.nextInt(prefixes.size()));
                    boolean end = rnd.nextBoolean();
                    hi = end ? p.endHi() : p.hi();
                    lo = end ? p.endLo() : p.lo();
                    if (rnd.nextBoolean()) {
                        long step = end ? 1 : -1;
                        long nlo = lo + step;
                        hi = v6 && ((end && nlo == 0) || (!end && lo == 0)) ? hi + step : hi;
                        lo = v6 ? nlo : nlo & 0xffff_ffffL;
                    }
                } else {
                    hi = v6 ? baseHi ^ (rnd.nextInt(4) & 3L) : 0;
                    lo = v6 ? rnd.nextLong() & 0xf000_0000_0000_00ffL : (0x0a63_0000L | rnd.nextInt(1 << 12)) & 0xffff_ffffL;
                }
                assertEquals(brute(prefixes, hi, lo), t.lookup(hi, lo),
                        "round " + round + " " + Long.toHexString(hi) + ":" + Long.toHexString(lo) + " in " + prefixes);
            }
        }
    }

    private static Prefix brute(List<Prefix> prefixes, long hi, long lo) {
        Prefix best = null;
        for (Prefix p : prefixes) {
            boolean in = PrefixTable.compare(p.hi(), p.lo(), hi, lo) <= 0 && PrefixTable.compare(hi, lo, p.endHi(), p.endLo()) <= 0;
            if (in && (best == null || p.length() > best.length())) {
                best = p;
            }
        }
        return best;
    }

    private static Prefix prefix6(long hi, long lo, int len) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            return Prefix.of(InetAddress.getByAddress(b), len);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress ipv4(long v) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
