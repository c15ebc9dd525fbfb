package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * Lookups in the test's own namespace that need no root and send nothing:
 * loopback is local on {@code lo}. The namespace cases are in RouteLookupIT.
 */
class RouteLookupTest {
    @Test
    void loopbackIsLocalOnLo() throws Exception {
        try (RouteLookup rl = RouteLookup.open()) {
            assertEquals(RouteLookup.RTN_LOCAL, rl.lookup(InetAddress.getByName("127.0.0.1")));
            assertEquals("lo", rl.interfaceName(rl.oif()));
            assertEquals(rl.oif(), rl.localIndex(InetAddress.getByName("127.9.9.9")));
            assertNull(rl.interfaceName(0));
            assertNull(rl.interfaceName(Integer.MAX_VALUE));
        }
    }

    @Test
    void localTypes() {
        assertTrue(RouteLookup.isLocalType(RouteLookup.RTN_LOCAL));
        assertTrue(RouteLookup.isLocalType(RouteLookup.RTN_BROADCAST));
        assertTrue(RouteLookup.isLocalType(RouteLookup.RTN_ANYCAST));
        assertFalse(RouteLookup.isLocalType(RouteLookup.RTN_UNICAST));
        assertFalse(RouteLookup.isLocalType(RouteLookup.RTN_MULTICAST));
        assertFalse(RouteLookup.isLocalType(RouteLookup.NO_ROUTE));
    }
}
