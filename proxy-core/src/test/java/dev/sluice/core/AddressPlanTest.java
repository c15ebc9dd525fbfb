package dev.sluice.core;

import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressPlanTest {
    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    static HostFacts host() throws Exception {
        return new HostFacts("eth0", (Inet4Address) ip("10.77.0.1"), 24, (Inet4Address) ip("10.77.0.254"),
                "eth0", (Inet6Address) ip("fd77::1"), 64, (Inet6Address) ip("fe80::fe"),
                1500, List.of(ip("10.99.0.1"), ip("127.0.0.53"), ip("fd99::1")), List.of("sluice.test"));
    }

    static RunConfig opts(InetAddress a4, int prefix4, InetAddress a6, boolean only4, boolean only6, int mtu,
                          List<InetAddress> dns, boolean dnsNone) {
        return new RunConfig(null, false, null, null, false, null, a4, prefix4, a6, null, null, 0, mtu,
                dns, dnsNone, List.of(), false, false, false, false, false, only4, only6, null, null,
                Path.of("/etc/resolv.conf"), FlowConfig.DEFAULT, PluginConfig.NONE);
    }

    @Test
    void defaultsArePasstsTheHostsAddressAndGateway() throws Exception {
        GuestConfig g = AddressPlan.derive(opts(null, -1, null, false, false, 65520, List.of(), false), host());
        assertEquals(ip("10.77.0.1"), g.addr4());
        assertEquals(24, g.prefix4());
        assertEquals(ip("10.77.0.254"), g.gw4());
        assertEquals(ip("fd77::1"), g.addr6());
        assertEquals(ip("fe80::fe"), g.routerLl6(), "a link-local host gateway is reused as our router address");
        assertEquals(List.of(ip("10.99.0.1")), g.dns4(), "loopback resolvers are not offered");
        assertEquals(List.of(ip("fd99::1")), g.dns6());
        assertEquals(List.of("sluice.test"), g.search());
        assertTrue(g.dhcp() && g.ndp() && g.dhcpv6() && g.ra());
        assertEquals(GuestConfig.DEFAULT_OUR_MAC, g.ourMac());
    }

    @Test
    void optionsOverrideAndFamiliesCanBeSwitchedOff() throws Exception {
        GuestConfig g = AddressPlan.derive(opts(ip("10.77.0.50"), 24, null, true, false, 1500,
                List.of(ip("10.77.0.53")), false), host());
        assertEquals(ip("10.77.0.50"), g.addr4());
        assertFalse(g.ipv6());
        assertFalse(g.ndp() || g.dhcpv6() || g.ra());
        assertEquals(List.of(ip("10.77.0.53")), g.dns4());

        GuestConfig none = AddressPlan.derive(opts(null, -1, null, false, false, 1500, List.of(), true), host());
        assertTrue(none.dns4().isEmpty() && none.dns6().isEmpty());
    }

    @Test
    void smallMtuDisablesIpv6AndNoFamilyIsAnError() throws Exception {
        GuestConfig g = AddressPlan.derive(opts(null, -1, null, false, false, 1000, List.of(), false), host());
        assertTrue(g.ipv4());
        assertFalse(g.ipv6());
        HostFacts empty = new HostFacts(null, null, 0, null, null, null, 0, null, 1500, List.of(), List.of());
        assertThrows(AddressPlan.NoUsableFamily.class,
                () -> AddressPlan.derive(opts(null, -1, null, false, false, 1500, List.of(), false), empty));
    }
}
