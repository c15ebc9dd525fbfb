package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuestViewTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void macTextAndNumber() {
        assertEquals(0x525400123456L, GuestView.parseMac("52:54:00:12:34:56"));
        assertEquals(0x0200000000ffL, GuestView.parseMac("2:0:0:0:0:FF"));
        assertEquals("02:00:00:00:00:ff", GuestView.formatMac(0x0200000000ffL));
        assertEquals("ff:ff:ff:ff:ff:ff", GuestView.formatMac(0xffffffffffffL));
        for (String bad : new String[] {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g",
                "52:54:00:12:34:", "123:54:00:12:34:56", "+1:54:00:12:34:56"}) {
            assertThrows(IllegalArgumentException.class, () -> GuestView.parseMac(bad), bad);
        }
    }

    @Test
    void testingContextCarriesPrefixesAndMac() throws Exception {
        GuestView g = TestingFilterContext.builder()
                .guestAddress4((Inet4Address) ip("10.77.0.1"), 24)
                .guestAddress6((Inet6Address) ip("fd77::1"), 64, true)
                .guestMac("52:54:00:12:34:56").build().guest();
        assertEquals(24, g.prefixLength4());
        assertEquals(64, g.prefixLength6());
        assertTrue(g.slaac());
        assertEquals(0x525400123456L, g.macAsLong());
        assertTrue(g.inPrefix6(ip("fd77::1234:5678:9abc:def0")));
        assertFalse(g.inPrefix6(ip("fd78::1")));
        assertFalse(g.inPrefix6(ip("10.77.0.1")));

        GuestView none = TestingFilterContext.empty().guest();
        assertEquals(0, none.macAsLong());
        assertEquals(0, none.prefixLength4());
        assertEquals(0, none.prefixLength6());
        assertFalse(none.slaac());
        assertFalse(none.inPrefix6(ip("fd77::1")));

        GuestView notSlaac = TestingFilterContext.builder()
                .guestAddress6((Inet6Address) ip("fd77::1"), 112, true).build().guest();
        assertFalse(notSlaac.slaac(), "only a /64 is advertised autonomous");
    }

    @Test
    void inPrefix6AtOddLengthsAndTheDefaults() throws Exception {
        Inet6Address own = (Inet6Address) ip("fd77:0:0:1::1");
        GuestView g60 = view(own, 60);
        assertTrue(g60.inPrefix6(ip("fd77:0:0:f::1")));
        assertFalse(g60.inPrefix6(ip("fd77:0:0:10::1")));
        GuestView g128 = view(own, 128);
        assertTrue(g128.inPrefix6(own));
        assertFalse(g128.inPrefix6(ip("fd77:0:0:1::2")));
        GuestView g0 = view(own, 0);
        assertFalse(g0.inPrefix6(own), "no prefix, nothing is in it");
        // The defaults a view without prefixes gets: the address alone, MAC parsed from its text.
        assertEquals(0x020000000001L, g60.macAsLong());
        assertEquals(32, g60.prefixLength4());
        assertFalse(g60.slaac());
    }

    /** A bare implementation relying on the interface's defaults, but for prefixLength6. */
    private static GuestView view(Inet6Address a6, int prefix6) throws Exception {
        Inet4Address a4 = (Inet4Address) ip("10.77.0.1");
        return new GuestView() {
            @Override
            public Optional<Inet4Address> address4() {
                return Optional.of(a4);
            }

            @Override
            public Optional<Inet6Address> address6() {
                return Optional.of(a6);
            }

            @Override
            public Optional<Inet4Address> gateway4() {
                return Optional.empty();
            }

            @Override
            public Optional<Inet6Address> gateway6() {
                return Optional.empty();
            }

            @Override
            public List<InetAddress> assignedAddresses() {
                return List.of(a4, a6);
            }

            @Override
            public Optional<String> mac() {
                return Optional.of("02:00:00:00:00:01");
            }

            @Override
            public Set<InetAddress> seenAddresses() {
                return Set.of();
            }

            @Override
            public int prefixLength6() {
                return prefix6;
            }
        };
    }
}
