package dev.sluice.core;

import dev.sluice.core.testing.TestContexts;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestStateTest {
    /** Found by ReceivePathFuzzTest: every spoofed source address was kept, and the set copied, forever. */
    @Test
    void seenAddressesStayBoundedKeepingTheMostRecentInFirstSeenOrder() {
        GuestState s = new GuestState(0);
        s.sawAddress(TestContexts.v4("10.77.0.1"));
        s.sawAddress(TestContexts.v6("fd77::1"));
        for (int i = 0; i < 1000; i++) {
            s.sawAddress(TestContexts.v4("10.77." + (1 + i / 250) + "." + (1 + i % 250)));
        }
        assertEquals(GuestState.MAX_SEEN, s.seenAddresses().size());
        assertFalse(s.seenAddresses().contains(TestContexts.v4("10.77.0.1")), "the eldest went first");
        List<String> expected = new ArrayList<>();
        for (int i = 1000 - GuestState.MAX_SEEN; i < 1000; i++) {
            expected.add("/10.77." + (1 + i / 250) + "." + (1 + i % 250));
        }
        assertEquals(expected, s.seenAddresses().stream().map(Object::toString).toList());
    }

    @Test
    void aSecondSightingKeepsTheFirstSeenOrder() {
        GuestState s = new GuestState(0);
        s.sawAddress(TestContexts.v4("10.77.0.1"));
        s.sawAddress(TestContexts.v4("10.77.0.2"));
        s.sawAddress(TestContexts.v4("10.77.0.1"));
        assertEquals(List.of(TestContexts.v4("10.77.0.1"), TestContexts.v4("10.77.0.2")),
                List.copyOf(s.seenAddresses()));
        assertTrue(s.seenAddresses().contains(TestContexts.v4("10.77.0.2")));
    }
}
