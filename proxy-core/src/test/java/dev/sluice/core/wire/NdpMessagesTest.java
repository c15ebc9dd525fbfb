package dev.sluice.core.wire;

import dev.sluice.core.testing.Pcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.from;
import static dev.sluice.core.testing.Frames.icmp6;
import static dev.sluice.core.testing.Frames.unspecifiedSource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NdpMessagesTest {
    private static final long GUEST = 0x525400123456L;
    private static final long ROUTER = 0x9a559a559a55L;
    private static final long FD77 = 0xfd77_0000_0000_0000L;

    private static NdpMessages wrap(byte[] f) {
        NdpMessages m = new NdpMessages();
        assertTrue(m.wrap(buf(f), IP6_L4, f.length - IP6_L4));
        return m;
    }

    private static NdpOptions options(NdpMessages m, byte[] f) {
        NdpOptions o = new NdpOptions();
        assertTrue(o.wrap(buf(f), m.optionsOffset(), m.optionsLength()));
        return o;
    }

    @Test
    void deconstructNeighbourSolicitationFromNdisc6() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(135));
        NdpMessages m = wrap(f);
        assertEquals(Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION, m.type());
        assertEquals(0, m.code());
        assertEquals(FD77, m.targetHi());
        assertEquals(0xfeL, m.targetLo());
        NdpOptions o = options(m, f);
        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_SOURCE_LL_ADDR, o.type());
        assertEquals(8, o.length());
        assertEquals(GUEST, o.linkLayerAddress());
        assertFalse(o.next());
        assertFalse(o.malformed());
    }

    @Test
    void deconstructDadSolicitationWithNonce() {
        byte[] f = Pcap.first("frames/ndp-linkup.pcap", icmp6(135).and(from(GUEST)).and(unspecifiedSource())
                .and(x -> x[IP6_L4 + 8] == (byte) 0xfd));
        NdpMessages m = wrap(f);
        assertEquals(FD77, m.targetHi());
        assertEquals(1L, m.targetLo());
        NdpOptions o = options(m, f);
        assertEquals(-1, o.find(NdpOptions.TYPE_SOURCE_LL_ADDR));
        assertTrue(o.find(NdpOptions.TYPE_NONCE) >= 0);
        assertTrue(o.validate());
    }

    @Test
    void deconstructKernelNeighbourAdvertisement() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(136));
        NdpMessages m = wrap(f);
        assertFalse(m.routerFlag());
        assertTrue(m.solicitedFlag());
        assertTrue(m.overrideFlag());
        assertEquals(FD77, m.targetHi());
        assertEquals(0xfeL, m.targetLo());
        NdpOptions o = options(m, f);
        o.moveTo(o.find(NdpOptions.TYPE_TARGET_LL_ADDR));
        assertEquals(ROUTER, o.linkLayerAddress());
    }

    @Test
    void deconstructRouterSolicitations() {
        byte[] kernel = Pcap.first("frames/ndp-linkup.pcap", icmp6(133).and(from(GUEST)));
        NdpMessages m = wrap(kernel);
        assertEquals(8, m.optionsOffset() - m.offset());
        NdpOptions o = options(m, kernel);
        assertTrue(o.next());
        assertEquals(GUEST, o.linkLayerAddress());
        byte[] rdisc6 = Pcap.first("frames/ndp.pcap", icmp6(133));
        m = wrap(rdisc6);
        assertEquals(0, m.optionsLength());
    }

    @Test
    void deconstructDnsmasqRouterAdvertisement() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(134));
        NdpMessages m = wrap(f);
        assertEquals(64, m.curHopLimit());
        assertTrue(m.managed());
        assertTrue(m.otherConfig());
        assertEquals(180, m.routerLifetime());
        assertEquals(0, m.reachableTime());
        assertEquals(0, m.retransTimer());
        NdpOptions o = options(m, f);

        assertTrue(o.next());
        assertTrue(o.isPrefixInfo());
        assertEquals(64, o.prefixLength());
        assertEquals(NdpOptions.PREFIX_FLAG_ON_LINK, o.prefixFlags());
        assertEquals(43200, o.validLifetime());
        assertEquals(43200, o.preferredLifetime());
        assertEquals(FD77, o.prefixHi());
        assertEquals(0, o.prefixLo());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_MTU, o.type());
        assertEquals(1500, o.mtu());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_SOURCE_LL_ADDR, o.type());
        assertEquals(ROUTER, o.linkLayerAddress());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_DNSSL, o.type());
        assertEquals(43200, o.dnsLifetime());
        assertEquals(List.of("example.test"), o.dnsslNames());

        assertTrue(o.next());
        assertEquals(NdpOptions.TYPE_RDNSS, o.type());
        assertEquals(43200, o.dnsLifetime());
        assertEquals(1, o.rdnssCount());
        assertEquals(FD77, o.rdnssHi(0));
        assertEquals(0xfeL, o.rdnssLo(0));
        assertFalse(o.next());
        assertFalse(o.malformed());
    }

    @Test
    void constructDnsmasqRouterAdvertisement() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(134));
        byte[] copy = f.clone();
        ByteBuf b = buf(copy);
        b.setZero(IP6_L4, f.length - IP6_L4);
        int p = NdpMessages.emitRouterAdvertisement(b, IP6_L4, 64,
                NdpMessages.RA_FLAG_MANAGED | NdpMessages.RA_FLAG_OTHER, 180, 0, 0);
        p = NdpOptions.emitPrefixInfo(b, p, 64, NdpOptions.PREFIX_FLAG_ON_LINK, 43200, 43200, FD77, 0);
        p = NdpOptions.emitMtu(b, p, 1500);
        p = NdpOptions.emitLinkLayerAddress(b, p, NdpOptions.TYPE_SOURCE_LL_ADDR, ROUTER);
        p = NdpOptions.emitDnssl(b, p, 43200, DhcpMessage.encodeDomainNames(List.of("example.test")));
        byte[] dns = new byte[16];
        dns[0] = (byte) 0xfd;
        dns[1] = 0x77;
        dns[15] = (byte) 0xfe;
        p = NdpOptions.emitRdnss(b, p, 43200, dns);
        assertEquals(f.length, p);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, p - IP6_L4);
        assertArrayEquals(f, copy);
    }

    @Test
    void constructKernelNeighbourAdvertisement() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(136));
        byte[] copy = f.clone();
        ByteBuf b = buf(copy);
        b.setZero(IP6_L4, f.length - IP6_L4);
        int p = NdpMessages.emitNeighborAdvertisement(b, IP6_L4,
                NdpMessages.NA_FLAG_SOLICITED | NdpMessages.NA_FLAG_OVERRIDE, FD77, 0xfe);
        p = NdpOptions.emitLinkLayerAddress(b, p, NdpOptions.TYPE_TARGET_LL_ADDR, ROUTER);
        Icmpv6Message.fillChecksum(b, ETH, IP6_L4, p - IP6_L4);
        assertArrayEquals(f, copy);
    }

    @Test
    void parseEmitRoundTripOfEveryCapturedNdpMessage() {
        int n = 0;
        for (String cap : new String[] {"frames/ndp.pcap", "frames/ndp-linkup.pcap", "frames/l4.pcap"}) {
            for (byte[] f : Pcap.frames(cap)) {
                if (!(icmp6(133).or(icmp6(134)).or(icmp6(135)).or(icmp6(136))).test(f)) {
                    continue;
                }
                NdpMessages m = wrap(f);
                NdpMessages.Repr r = NdpMessages.Repr.parse(m);
                assertNotNull(r);
                ByteBuf out = Unpooled.buffer(f.length);
                out.writeBytes(f, 0, IP6_L4);
                int len = r.emit(out, IP6_L4);
                assertEquals(f.length - IP6_L4, len);
                Icmpv6Message.fillChecksum(out, ETH, IP6_L4, len);
                assertArrayEquals(f, ByteBufUtil.getBytes(out, 0, f.length), cap);
                n++;
            }
        }
        assertTrue(n >= 10, "NDP messages seen: " + n);
    }

    @Test
    void truncatedAndMalformed() {
        byte[] f = Pcap.first("frames/ndp.pcap", icmp6(135));
        NdpMessages m = new NdpMessages();
        assertFalse(m.wrap(buf(f), IP6_L4, 23));                      // shorter than the NS fixed part
        byte[] echo = f.clone();
        echo[IP6_L4] = (byte) 128;
        assertFalse(m.wrap(buf(echo), IP6_L4, f.length - IP6_L4));    // not an NDP type

        byte[] zeroLen = f.clone();
        zeroLen[IP6_L4 + 25] = 0;                                     // option length 0
        m = wrap(zeroLen);
        NdpOptions o = options(m, zeroLen);
        assertFalse(o.next());
        assertTrue(o.malformed());
        assertFalse(o.validate());
        assertNull(NdpMessages.Repr.parse(m));

        byte[] tooLong = f.clone();
        tooLong[IP6_L4 + 25] = 2;                                     // 16 bytes, only 8 there
        m = wrap(tooLong);
        assertFalse(options(m, tooLong).validate());

        byte[] odd = Arrays.copyOf(f, f.length + 1);                  // a lone byte after the last option
        assertTrue(new NdpMessages().wrap(buf(odd), IP6_L4, odd.length - IP6_L4));
        NdpOptions o2 = new NdpOptions();
        o2.wrap(buf(odd), IP6_L4 + 24, odd.length - IP6_L4 - 24);
        assertFalse(o2.validate());
    }
}
