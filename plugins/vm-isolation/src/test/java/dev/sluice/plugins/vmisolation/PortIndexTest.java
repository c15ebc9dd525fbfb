package dev.sluice.plugins.vmisolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class PortIndexTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static RegistryEntry entry(String id, PortForward... forwards) {
        return new RegistryEntry(id, 1, -1, null, List.of(forwards));
    }

    @Test
    void onlyOtherInstancesPortsAreMarked() throws Exception {
        PortIndex idx = PortIndex.build(entry("me", new PortForward(Protocol.TCP, null, 2222)),
                List.of(entry("other", new PortForward(Protocol.TCP, null, 8022),
                        new PortForward(Protocol.UDP, null, 5000, 5010))));
        assertTrue(idx.othersForward(Protocol.TCP, 8022));
        assertFalse(idx.othersForward(Protocol.UDP, 8022));
        assertFalse(idx.othersForward(Protocol.TCP, 2222));
        assertTrue(idx.othersForward(Protocol.UDP, 5010));
        assertFalse(idx.othersForward(Protocol.UDP, 5011));
        assertFalse(idx.othersForward(Protocol.ICMP, 0));
        assertEquals(1, idx.otherInstances());
        assertEquals("me", idx.listener(Protocol.TCP, ip("127.0.0.1"), 2222).instanceId());
        assertNull(idx.listener(Protocol.TCP, ip("127.0.0.1"), 2223));
    }

    @Test
    void anExactAddressBeatsAWildcardAsInTheKernel() throws Exception {
        PortIndex idx = PortIndex.build(entry("me", new PortForward(Protocol.TCP, ip("127.0.0.1"), 8022)),
                List.of(entry("other", new PortForward(Protocol.TCP, null, 8022))));
        assertTrue(idx.listener(Protocol.TCP, ip("127.0.0.1"), 8022).own());
        assertFalse(idx.listener(Protocol.TCP, ip("10.77.0.1"), 8022).own());
        assertFalse(idx.listener(Protocol.TCP, ip("::1"), 8022).own());
    }

    @Test
    void unspecifiedAddressesAreWildcardsOfTheirFamily() throws Exception {
        PortIndex idx = PortIndex.build(entry("me"), List.of(
                entry("v4", new PortForward(Protocol.TCP, ip("0.0.0.0"), 80)),
                entry("v6", new PortForward(Protocol.TCP, ip("::"), 80))));
        assertEquals("v4", idx.listener(Protocol.TCP, ip("10.77.0.1"), 80).instanceId());
        assertEquals("v6", idx.listener(Protocol.TCP, ip("fd77::1"), 80).instanceId());
        PortIndex v4only = PortIndex.build(entry("me"), List.of(entry("v4", new PortForward(Protocol.TCP, ip("0.0.0.0"), 80))));
        assertNull(v4only.listener(Protocol.TCP, ip("::1"), 80));
    }

    @Test
    void onEqualTermsTheOwnForwardWins() throws Exception {
        // Two filters of one instance (the plugin named twice) publish the same forwards.
        PortIndex idx = PortIndex.build(entry("me", new PortForward(Protocol.TCP, null, 8022)),
                List.of(entry("me", new PortForward(Protocol.TCP, null, 8022))));
        assertTrue(idx.listener(Protocol.TCP, ip("127.0.0.1"), 8022).own());
    }
}
