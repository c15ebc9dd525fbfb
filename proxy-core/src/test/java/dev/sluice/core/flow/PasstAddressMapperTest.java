package dev.sluice.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasstAddressMapperTest {
    static final Inet4Address GW4 = InetLiterals.parse4("10.77.0.254");
    static final Inet6Address GW6 = InetLiterals.parse6("fe80::1");
    static final Inet4Address HOST4 = InetLiterals.parse4("10.77.0.1");
    static final Inet6Address HOST6 = InetLiterals.parse6("fd77::1");
    static final InetAddress LO4 = InetLiterals.parse("127.0.0.1");
    static final InetAddress LO6 = InetLiterals.parse("::1");
    static final InetAddress OUTSIDE4 = InetLiterals.parse("10.99.0.1");
    static final InetAddress OUTSIDE6 = InetLiterals.parse("fd99::1");

    static MappingConfig.Builder base() {
        return MappingConfig.builder().gateways(GW4, GW6).hostAddresses(HOST4, HOST6)
                .resolvers(List.of(InetLiterals.parse("10.99.0.1")));
    }

    static InetAddress out(MappingConfig c, InetAddress dst, int port, FlowProtocol p) {
        return new PasstAddressMapper(c).outboundDestination(dst, port, p);
    }

    @Test
    void gatewayGoesToLoopbackByDefault() {
        MappingConfig c = base().build();
        assertEquals(LO4, out(c, GW4, 80, FlowProtocol.TCP));
        assertEquals(LO4, out(c, GW4, 5000, FlowProtocol.UDP));
        assertEquals(LO4, out(c, GW4, 0, FlowProtocol.ICMP));
        assertEquals(LO6, out(c, GW6, 80, FlowProtocol.TCP));
        assertEquals(LO6, out(c, GW6, 0, FlowProtocol.ICMPV6));
        assertEquals(OUTSIDE4, out(c, OUTSIDE4, 80, FlowProtocol.TCP));
        assertEquals(OUTSIDE6, out(c, OUTSIDE6, 80, FlowProtocol.TCP));
        assertEquals(HOST4, out(c, HOST4, 80, FlowProtocol.TCP));
    }

    @Test
    void noMapGwAndNoneDisableLoopbackMapping() {
        for (MappingConfig c : List.of(base().noMapGw(true).build(), base().mapHostLoopback("none").build())) {
            assertNull(c.mapHostLoopback4());
            assertNull(c.mapHostLoopback6());
            assertEquals(GW4, out(c, GW4, 80, FlowProtocol.TCP));
            assertEquals(GW6, out(c, GW6, 80, FlowProtocol.TCP));
            assertNull(new PasstAddressMapper(c).guestVisibleSource(LO4));
            assertNull(new PasstAddressMapper(c).guestVisibleSource(LO6));
        }
    }

    @Test
    void explicitHostLoopbackAddressPerFamilyLastWins() {
        MappingConfig c = base().mapHostLoopback("10.77.0.2").mapHostLoopback("10.77.0.3").mapHostLoopback("fd77::3")
                .build();
        assertEquals(InetLiterals.parse("10.77.0.3"), c.mapHostLoopback4());
        assertEquals(InetLiterals.parse("fd77::3"), c.mapHostLoopback6());
        assertEquals(LO4, out(c, InetLiterals.parse("10.77.0.3"), 80, FlowProtocol.TCP));
        assertEquals(InetLiterals.parse("10.77.0.2"), out(c, InetLiterals.parse("10.77.0.2"), 80, FlowProtocol.TCP));
        assertEquals(GW4, out(c, GW4, 80, FlowProtocol.TCP), "the gateway is no longer mapped");
        // an explicit IPv6 address replaces the IPv6 gateway too
        assertEquals(GW6, out(c, GW6, 80, FlowProtocol.TCP));
    }

    @Test
    void mapGuestAddrReachesHostExternalAddress() {
        MappingConfig c = base().mapGuestAddr("10.77.0.77").mapGuestAddr("fd77::77").build();
        PasstAddressMapper m = new PasstAddressMapper(c);
        assertEquals(HOST4, m.outboundDestination(InetLiterals.parse("10.77.0.77"), 22, FlowProtocol.TCP));
        assertEquals(HOST6, m.outboundDestination(InetLiterals.parse("fd77::77"), 22, FlowProtocol.UDP));
        assertEquals(HOST4, m.outboundDestination(InetLiterals.parse("10.77.0.77"), 0, FlowProtocol.ICMP));
        // reverse: the host's external address appears as the mapped address
        assertEquals(InetLiterals.parse("10.77.0.77"), m.guestVisibleSource(HOST4));
        assertEquals(InetLiterals.parse("fd77::77"), m.guestVisibleSource(HOST6));
        assertNull(base().mapGuestAddr("10.77.0.77").mapGuestAddr("none").build().mapGuestAddr4());
        assertNull(base().build().mapGuestAddr4(), "default is none");
    }

    @Test
    void dnsForwardGoesToFirstResolverOnlyForDnsPorts() {
        MappingConfig c = MappingConfig.builder().gateways(GW4, GW6)
                .resolvers(List.of(InetLiterals.parse("fd99::53"), InetLiterals.parse("10.99.0.53"),
                        InetLiterals.parse("10.99.0.54")))
                .dnsForward("10.77.0.53").dnsForward("fd77::53").build();
        InetAddress fwd4 = InetLiterals.parse("10.77.0.53");
        InetAddress fwd6 = InetLiterals.parse("fd77::53");
        assertEquals(InetLiterals.parse("10.99.0.53"), out(c, fwd4, 53, FlowProtocol.UDP));
        assertEquals(InetLiterals.parse("10.99.0.53"), out(c, fwd4, 53, FlowProtocol.TCP));
        assertEquals(InetLiterals.parse("10.99.0.53"), out(c, fwd4, 853, FlowProtocol.TCP));
        assertEquals(fwd4, out(c, fwd4, 54, FlowProtocol.UDP));
        assertEquals(fwd4, out(c, fwd4, 0, FlowProtocol.ICMP));
        assertEquals(InetLiterals.parse("fd99::53"), out(c, fwd6, 53, FlowProtocol.UDP));
        // gateway mapping is untouched for DNS when a separate --dns-forward exists
        assertEquals(LO4, out(c, GW4, 53, FlowProtocol.UDP));
    }

    @Test
    void dnsHostOverridesTheResolver() {
        MappingConfig c = base().dnsForward("10.77.0.53").dnsHost("10.99.0.9").build();
        assertEquals(InetLiterals.parse("10.99.0.9"), out(c, InetLiterals.parse("10.77.0.53"), 53, FlowProtocol.UDP));
    }

    @Test
    void loopbackResolverIsReachedThroughTheGatewayAddress() {
        // systemd-resolved style: the only resolver is 127.0.0.53; DNS to the gateway must reach it, not 127.0.0.1
        MappingConfig c = MappingConfig.builder().gateways(GW4, GW6)
                .resolvers(List.of(InetLiterals.parse("127.0.0.53"))).build();
        assertEquals(GW4, c.dnsMatch4());
        assertEquals(InetLiterals.parse("127.0.0.53"), out(c, GW4, 53, FlowProtocol.UDP));
        assertEquals(LO4, out(c, GW4, 80, FlowProtocol.TCP));
        assertNull(c.dnsMatch6(), "no IPv6 resolver, nothing to match");
    }

    @Test
    void gatewayThatIsAlsoTheResolverIsNotShadowedForDns() {
        MappingConfig c = MappingConfig.builder().gateways(GW4, GW6).resolvers(List.of(GW4)).build();
        assertEquals(GW4, out(c, GW4, 53, FlowProtocol.UDP));
        assertEquals(LO4, out(c, GW4, 22, FlowProtocol.TCP));
    }

    @Test
    void noDnsMatchWithoutResolverRelation() {
        MappingConfig c = base().build();
        assertNull(c.dnsMatch4());
        assertEquals(LO4, out(c, GW4, 53, FlowProtocol.UDP), "plain host-loopback mapping applies");
    }

    @Test
    void loopbackPeersAppearAsTheMappedAddress() {
        PasstAddressMapper m = new PasstAddressMapper(base().build());
        assertEquals(GW4, m.guestVisibleSource(LO4));
        assertEquals(GW4, m.guestVisibleSource(InetLiterals.parse("127.0.0.9")));
        assertEquals(GW4, m.guestVisibleSource(InetLiterals.parse("::ffff:127.0.0.1")));
        assertEquals(GW6, m.guestVisibleSource(LO6));
        assertEquals(OUTSIDE4, m.guestVisibleSource(OUTSIDE4));
        assertEquals(OUTSIDE6, m.guestVisibleSource(OUTSIDE6));
        assertEquals(HOST4, m.guestVisibleSource(HOST4), "no --map-guest-addr: kept");
    }

    @Test
    void identityAndNoneConfigLeaveEverythingAlone() {
        PasstAddressMapper m = new PasstAddressMapper(MappingConfig.NONE);
        assertEquals(GW4, m.outboundDestination(GW4, 53, FlowProtocol.UDP));
        assertSame(AddressMapper.IDENTITY.outboundDestination(GW4, 1, FlowProtocol.TCP), GW4);
    }

    @Test
    void badOptionValuesNameTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MappingConfig.builder().mapHostLoopback("example.com"));
        assertTrue(e.getMessage().contains("--map-host-loopback"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MappingConfig.builder().mapGuestAddr("1.2.3"));
        assertThrows(IllegalArgumentException.class, () -> MappingConfig.builder().dnsForward("0.0.0.0"));
        assertThrows(IllegalArgumentException.class, () -> MappingConfig.builder().dnsHost("256.1.1.1"));
        assertThrows(IllegalArgumentException.class, () -> MappingConfig.builder().dnsHost("fe80::1%eth0"));
    }

    @Test
    void readsNameserversFromResolvConf(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "# comment\nsearch example\nnameserver 10.99.0.1\nnameserver fe80::1%eth0\n"
                + "nameserver   fd99::1  \nnameserver bogus\noptions edns0\n");
        assertEquals(List.of(InetLiterals.parse("10.99.0.1"), InetLiterals.parse("fd99::1")),
                MappingConfig.nameservers(f));
        assertEquals(List.of(), MappingConfig.nameservers(dir.resolve("missing")));
    }

    @Test
    void literalsNeverResolveNames() {
        assertThrows(IllegalArgumentException.class, () -> InetLiterals.parse("localhost"));
        assertThrows(IllegalArgumentException.class, () -> InetLiterals.parse("1.2.3.4.5"));
        assertThrows(IllegalArgumentException.class, () -> InetLiterals.parse(":::"));
        assertThrows(IllegalArgumentException.class, () -> InetLiterals.parse4("::1"));
        assertEquals(InetLiterals.parse("1.2.3.4"), InetLiterals.unmap(InetLiterals.parse("::ffff:1.2.3.4")));
        assertEquals(InetLiterals.parse("::1"), InetLiterals.unmap(InetLiterals.parse("::1")));
    }
}
