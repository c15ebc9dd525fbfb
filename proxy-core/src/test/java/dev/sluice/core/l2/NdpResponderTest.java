package dev.sluice.core.l2;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv6Message;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.NdpMessages;
import dev.sluice.core.wire.NdpOptions;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.from;
import static dev.sluice.core.testing.Frames.icmp6;
import static dev.sluice.core.testing.Frames.mac;
import static dev.sluice.core.testing.Frames.u16;
import static dev.sluice.core.testing.Frames.unspecifiedSource;
import static dev.sluice.core.testing.TestContexts.GUEST_MAC;
import static dev.sluice.core.testing.TestContexts.OUR_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NdpResponderTest {
    static final long FD77 = 0xfd77_0000_0000_0000L;
    static final long FE80 = 0xfe80_0000_0000_0000L;
    static final long GUEST_LL_LO = 0x5054_00ff_fe12_3456L;

    private TestContexts.Env env = TestContexts.env();
    private NdpResponder ndp = new NdpResponder(env.ctx);

    @AfterEach
    void close() {
        ndp.close();
        env.close();
    }

    private void reconfigure(GuestConfig cfg) {
        ndp.close();
        env.close();
        env = TestContexts.env(cfg);
        ndp = new NdpResponder(env.ctx);
    }

    private void feed(byte[] f) {
        EthernetFrame eth = new EthernetFrame();
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(eth.wrap(buf(f), 0, f.length));
        assertTrue(ip.wrap(eth.buffer(), ETH, f.length - ETH));
        ndp.onNdp(eth, ip);
    }

    /** Checks the IPv6 and ICMPv6 framing of a reply and returns its NDP view. */
    static NdpMessages parse(byte[] reply, long dstMac, long srcHi, long srcLo, long dstHi, long dstLo, int type) {
        assertEquals(dstMac, mac(reply, 0));
        assertEquals(OUR_MAC, mac(reply, 6));
        assertEquals(0x86dd, u16(reply, 12));
        Ipv6Packet ip = new Ipv6Packet();
        ByteBuf b = buf(reply);
        assertTrue(ip.wrap(b, ETH, reply.length - ETH));
        assertEquals(reply.length - IP6_L4, ip.payloadLength());
        assertEquals(Ipv6Packet.NH_ICMPV6, ip.nextHeader());
        assertEquals(255, ip.hopLimit());
        assertEquals(srcHi, ip.srcHi());
        assertEquals(srcLo, ip.srcLo());
        assertEquals(dstHi, ip.dstHi());
        assertEquals(dstLo, ip.dstLo());
        Icmpv6Message icmp = new Icmpv6Message();
        assertTrue(icmp.wrap(b, IP6_L4, ip.upperLayerLength()));
        assertTrue(icmp.verifyChecksum(ip.pseudoHeaderSum()), "ICMPv6 checksum");
        NdpMessages m = new NdpMessages();
        assertTrue(m.wrap(b, IP6_L4, ip.upperLayerLength()));
        assertEquals(type, m.type());
        assertEquals(0, m.code());
        return m;
    }

    static NdpOptions options(NdpMessages m, byte[] reply) {
        NdpOptions o = new NdpOptions();
        assertTrue(o.wrap(buf(reply), m.optionsOffset(), m.optionsLength()));
        assertTrue(o.validate());
        return o;
    }

    @Test
    void neighbourSolicitationFromNdisc6GetsTheKernelsAnswerPlusRouterFlag() {
        List<byte[]> cap = Pcap.frames("frames/ndp.pcap"); // [0] NS fe80::guest -> fd77::fe, [1] the kernel's NA
        feed(cap.get(0));
        byte[] na = env.link.only();
        NdpMessages m = parse(na, GUEST_MAC, FD77, 0xfe, FE80, GUEST_LL_LO, Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT);
        assertTrue(m.routerFlag());
        assertTrue(m.solicitedFlag());
        assertTrue(m.overrideFlag());
        assertEquals(FD77, m.targetHi());
        assertEquals(0xfe, m.targetLo());
        NdpOptions o = options(m, na);
        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_TARGET_LL_ADDR, o.type());
        assertEquals(OUR_MAC, o.linkLayerAddress());
        assertFalse(o.next());

        // the kernel (not a router) said the same without R: so must we, bit for bit, once R is cleared
        byte[] kernel = cap.get(1);
        ByteBuf b = buf(na);
        b.setByte(IP6_L4 + NdpMessages.NA_FLAGS, b.getByte(IP6_L4 + NdpMessages.NA_FLAGS) & ~NdpMessages.NA_FLAG_ROUTER);
        b.setShort(IP6_L4 + Icmpv6Message.CHECKSUM, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, na.length - IP6_L4);
        assertArrayEquals(kernel, na);
        assertEquals(1, env.counter("ndp.na_sent"));
    }

    @Test
    void kernelNeighbourResolutionFromGlobalAddress() {
        List<byte[]> cap = Pcap.frames("frames/ndp.pcap"); // [2] NS fd77::1 -> fd77::fe
        feed(cap.get(2));
        byte[] na = env.link.only();
        parse(na, GUEST_MAC, FD77, 0xfe, FD77, 1, Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT);
    }

    @Test
    void answersForTheRouterLinkLocal() {
        byte[] ns = Pcap.frames("frames/ndp.pcap").get(0).clone();
        ByteBuf b = buf(ns);
        b.setLong(IP6_L4 + 8, FE80);          // target fe80::1
        b.setLong(IP6_L4 + 16, 1);
        b.setShort(IP6_L4 + 2, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, ns.length - IP6_L4);
        feed(ns);
        NdpMessages m = parse(env.link.only(), GUEST_MAC, FE80, 1, FE80, GUEST_LL_LO,
                Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT);
        assertEquals(1, m.targetLo());
    }

    @Test
    void neverAnswersDuplicateAddressDetection() {
        for (byte[] f : Pcap.frames("frames/ndp-linkup.pcap")) {
            if (icmp6(135).and(from(GUEST_MAC)).test(f)) {
                assertTrue(unspecifiedSource().test(f));
                feed(f);
            }
        }
        assertEquals(0, env.link.drain().size());
        assertEquals(2, env.counter("ndp.dad_ignored")); // fd77::1 and the link-local
    }

    @Test
    void ignoresSolicitationsForTheGuestsOwnAddresses() {
        byte[] ns = Pcap.frames("frames/ndp.pcap").get(0).clone();   // from fe80::guest
        ByteBuf b = buf(ns);
        b.setLong(IP6_L4 + 16, 1);                                     // target fd77::1 = addr6
        b.setShort(IP6_L4 + 2, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, ns.length - IP6_L4);
        feed(ns);

        env.ctx.guestState().learnMac(GUEST_MAC);                      // target: the guest's EUI-64 link-local
        b.setLong(IP6_L4 + 8, FE80);
        b.setLong(IP6_L4 + 16, GUEST_LL_LO);
        b.setShort(IP6_L4 + 2, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, ns.length - IP6_L4);
        feed(ns);
        assertEquals(0, env.link.drain().size());
        assertEquals(2, env.counter("ndp.ignored"));
    }

    @Test
    void invalidSolicitationsAreCountedDrops() {
        byte[] good = Pcap.frames("frames/ndp.pcap").get(0);
        byte[] hop = good.clone();
        hop[ETH + 7] = 64;                                             // not from the link
        feed(hop);
        byte[] sum = good.clone();
        sum[sum.length - 1] ^= 1;
        feed(sum);
        byte[] zeroOpt = good.clone();
        zeroOpt[IP6_L4 + 25] = 0;
        feed(zeroOpt);
        byte[] code = good.clone();
        code[IP6_L4 + 1] = 1;
        feed(code);
        byte[] mcast = good.clone();                                   // target ff02::1
        ByteBuf b = buf(mcast);
        b.setLong(IP6_L4 + 8, 0xff02_0000_0000_0000L);
        b.setLong(IP6_L4 + 16, 1);
        b.setShort(IP6_L4 + 2, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, mcast.length - IP6_L4);
        feed(mcast);
        assertEquals(0, env.link.drain().size());
        assertEquals(4, env.counter("ndp.bad"));
        assertEquals(1, env.counter("ndp.bad_checksum"));
    }

    /** Checks every field of one of our router advertisements with the default test plan. */
    static void assertDefaultRa(byte[] ra, long dstMac, long dstHi, long dstLo) {
        NdpMessages m = parse(ra, dstMac, FE80, 1, dstHi, dstLo, Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT);
        assertEquals(64, m.curHopLimit());
        assertTrue(m.managed());
        assertTrue(m.otherConfig());
        assertEquals(NdpResponder.ROUTER_LIFETIME, m.routerLifetime());
        assertEquals(0, m.reachableTime());
        assertEquals(0, m.retransTimer());
        NdpOptions o = options(m, ra);

        assertTrue(o.next());
        assertTrue(o.isPrefixInfo());
        assertEquals(64, o.prefixLength());
        assertEquals(NdpOptions.PREFIX_FLAG_ON_LINK | NdpOptions.PREFIX_FLAG_AUTONOMOUS, o.prefixFlags());
        assertEquals(NdpResponder.PREFIX_VALID_LIFETIME, o.validLifetime());
        assertEquals(NdpResponder.PREFIX_PREFERRED_LIFETIME, o.preferredLifetime());
        assertEquals(FD77, o.prefixHi());
        assertEquals(0, o.prefixLo());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_MTU, o.type());
        assertEquals(GuestConfig.DEFAULT_MTU, o.mtu());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_RDNSS, o.type());
        assertEquals(NdpResponder.DNS_LIFETIME, o.dnsLifetime());
        assertEquals(1, o.rdnssCount());
        assertEquals(FD77, o.rdnssHi(0));
        assertEquals(0xfe, o.rdnssLo(0));

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_DNSSL, o.type());
        assertEquals(NdpResponder.DNS_LIFETIME, o.dnsLifetime());
        assertEquals(List.of("example.test", "corp.example"), o.dnsslNames());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_SOURCE_LL_ADDR, o.type());
        assertEquals(OUR_MAC, o.linkLayerAddress());
        assertFalse(o.next());
    }

    @Test
    void kernelRouterSolicitationGetsFullAdvertisement() {
        feed(Pcap.first("frames/ndp-linkup.pcap", icmp6(133).and(from(GUEST_MAC))));
        assertDefaultRa(env.link.only(), GUEST_MAC, FE80, GUEST_LL_LO);
        assertEquals(1, env.counter("ndp.ra_sent"));
    }

    @Test
    void rdisc6SolicitationWithoutLinkLayerOption() {
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        assertDefaultRa(env.link.only(), GUEST_MAC, FE80, GUEST_LL_LO);
    }

    @Test
    void solicitationFromUnspecifiedGetsMulticastAdvertisement() {
        byte[] rs = Pcap.first("frames/ndp.pcap", icmp6(133)).clone();
        ByteBuf b = buf(rs);
        b.setLong(ETH + 8, 0);
        b.setLong(ETH + 16, 0);
        b.setShort(IP6_L4 + 2, 0);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, rs.length - IP6_L4);
        feed(rs);
        assertDefaultRa(env.link.only(), Addrs.ALL_NODES_MAC, 0xff02_0000_0000_0000L, 1);
    }

    @Test
    void advertisementFollowsTheConfiguration() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, 1500, true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                TestContexts.v6("fd66::5"), 48, d.gw6(), TestContexts.v6("fe80::99"), List.of(), List.of(),
                true, true, false, true));
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        byte[] ra = env.link.only();
        NdpMessages m = parse(ra, GUEST_MAC, FE80, 0x99, FE80, GUEST_LL_LO, Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT);
        assertFalse(m.managed());
        assertFalse(m.otherConfig());
        NdpOptions o = options(m, ra);
        assertTrue(o.next());
        assertEquals(48, o.prefixLength());
        assertEquals(NdpOptions.PREFIX_FLAG_ON_LINK, o.prefixFlags()); // no SLAAC on a /48
        assertEquals(0xfd66_0000_0000_0000L, o.prefixHi());
        assertTrue(o.next());
        assertEquals(1500, o.mtu());
        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_SOURCE_LL_ADDR, o.type()); // no RDNSS, no DNSSL
        assertFalse(o.next());
    }

    @Test
    void noRaMeansNoAdvertisementsButNeighboursStillAnswered() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, true, true, false));
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        ndp.onLinkUp();
        env.advanceSeconds(600);
        assertEquals(0, env.link.drain().size());
        feed(Pcap.frames("frames/ndp.pcap").get(0));
        assertEquals(1, env.link.drain().size());
    }

    @Test
    void noNdpMeansNothingAtAll() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, false, true, true));
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        feed(Pcap.frames("frames/ndp.pcap").get(0));
        ndp.onLinkUp();
        env.advanceSeconds(600);
        assertEquals(0, env.link.drain().size());
        assertEquals(2, env.counter("ndp.disabled"));
    }

    @Test
    void linkUpAdvertisesNowAndPeriodicallyUntilLinkDown() {
        ndp.onLinkUp();
        byte[] first = env.link.only();
        assertDefaultRa(first, Addrs.ALL_NODES_MAC, 0xff02_0000_0000_0000L, 1);
        assertEquals(1, env.link.flushes());

        env.advanceSeconds(NdpResponder.PERIOD_MIN_SECONDS - 1);
        assertEquals(0, env.link.drain().size());
        int sent = 0;
        for (int i = 0; i < 10; i++) {
            env.advanceSeconds(NdpResponder.PERIOD_MIN_SECONDS + NdpResponder.PERIOD_JITTER_SECONDS);
            for (byte[] ra : env.link.drain()) {
                assertArrayEquals(first, ra);
                sent++;
            }
        }
        assertTrue(sent >= 10 && sent <= 20, "periodic advertisements: " + sent);
        ndp.onLinkUp(); // a second link-up does not start a second timer
        env.link.drain();
        env.advanceSeconds(60);
        assertTrue(env.link.drain().size() <= 2);

        env.link.setUp(false);  // the guest is gone but nobody told us yet: nothing is sent
        env.advanceSeconds(120);
        assertEquals(0, env.link.drain().size());
        env.link.setUp(true);

        ndp.onLinkDown();
        env.advanceSeconds(600);
        assertEquals(0, env.link.drain().size());
    }
}
