package dev.sluice.core.l2;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.dhcp4;
import static dev.sluice.core.testing.Frames.hex;
import static dev.sluice.core.testing.Frames.mac;
import static dev.sluice.core.testing.Frames.u16;
import static dev.sluice.core.testing.TestContexts.GUEST_MAC;
import static dev.sluice.core.testing.TestContexts.OUR_MAC;
import static dev.sluice.core.testing.TestContexts.v4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DhcpServerTest {
    static final int IP_1 = 0x0a4d0001;
    static final int IP_58 = 0x0a4d003a;
    static final int IP_254 = 0x0a4d00fe;
    static final int DHCP = ETH + 20 + 8;

    private TestContexts.Env env = TestContexts.env();
    private DhcpServer dhcp = new DhcpServer(env.ctx);

    @AfterEach
    void close() {
        env.close();
    }

    private void reconfigure(GuestConfig cfg) {
        env.close();
        env = TestContexts.env(cfg);
        dhcp = new DhcpServer(env.ctx);
    }

    /** The test plan, but the guest's address is 10.77.0.58: what dnsmasq leased in the captures. */
    static GuestConfig configFor58() {
        GuestConfig d = TestContexts.config();
        return new GuestConfig(d.ourMac(), 0, d.mtu(), true, v4("10.77.0.58"), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, true, true, true);
    }

    private void feed(byte[] f) {
        EthernetFrame eth = new EthernetFrame();
        Ipv4Packet ip = new Ipv4Packet();
        UdpDatagram udp = new UdpDatagram();
        assertTrue(eth.wrap(buf(f), 0, f.length));
        assertTrue(ip.wrap(eth.buffer(), ETH, f.length - ETH));
        assertTrue(udp.wrap(eth.buffer(), ip.payloadOffset(), ip.payloadLength()));
        dhcp.onDhcp(eth, ip, udp);
    }

    /** Recomputes the UDP checksum of an IPv4 frame (no IP options) after a test edited it. */
    static byte[] fixUdp(byte[] f) {
        ByteBuf b = buf(f);
        int udpLen = b.getUnsignedShort(ETH + 20 + 4);
        b.setShort(ETH + 20 + 6, 0);
        int c = Checksum.finish(Checksum.add(Checksum.pseudoV4(b.getInt(ETH + 12), b.getInt(ETH + 16), 17, udpLen),
                b, ETH + 20, udpLen));
        b.setShort(ETH + 20 + 6, c == 0 ? 0xffff : c);
        return f;
    }

    /** Offset of option {@code code}'s data in a captured frame. */
    static int optionAt(byte[] f, int code) {
        DhcpMessage m = new DhcpMessage();
        assertTrue(m.wrap(buf(f), DHCP, u16(f, ETH + 24) - 8));
        return m.findOption(code);
    }

    /** One reply, checked layer by layer: Ethernet to the guest, IPv4 and UDP valid, 67 to 68. */
    record Reply(int ipSrc, int ipDst, int dhcpLen, DhcpMessage.Repr msg) {
        byte[] opt(int code) {
            return msg.option(code);
        }

        int intOpt(int code) {
            byte[] o = opt(code);
            assertEquals(4, o.length);
            return ByteBuffer.wrap(o).getInt();
        }
    }

    static Reply parse(byte[] f) {
        assertEquals(GUEST_MAC, mac(f, 0));
        assertEquals(OUR_MAC, mac(f, 6));
        assertEquals(0x0800, u16(f, 12));
        ByteBuf b = buf(f);
        Ipv4Packet ip = new Ipv4Packet();
        assertTrue(ip.wrap(b, ETH, f.length - ETH));
        assertEquals(f.length - ETH, ip.totalLength());
        assertTrue(ip.verifyChecksum());
        assertEquals(Ipv4Packet.PROTO_UDP, ip.protocol());
        assertEquals(64, ip.ttl());
        UdpDatagram udp = new UdpDatagram();
        assertTrue(udp.wrap(b, ip.payloadOffset(), ip.payloadLength()));
        assertEquals(ip.payloadLength(), udp.length());
        assertEquals(67, udp.srcPort());
        assertEquals(68, udp.dstPort());
        assertTrue(udp.verifyChecksum(ip.pseudoHeaderSum(), false), "UDP checksum");
        DhcpMessage m = new DhcpMessage();
        assertTrue(m.wrap(b, udp.payloadOffset(), udp.payloadLength()));
        assertTrue(m.length() >= DhcpMessage.MIN_BOOTP_LEN);
        assertEquals(DhcpMessage.OP_REPLY, m.op());
        assertEquals(1, m.hardwareType());
        assertEquals(6, m.hardwareLength());
        assertEquals(0, m.hops());
        assertEquals(0, m.secs());
        assertEquals(0, m.siaddr());
        assertEquals(0, m.giaddr());
        assertEquals(GUEST_MAC, m.chaddr());
        for (int i = m.offset() + DhcpMessage.CHADDR + 6; i < m.offset() + DhcpMessage.MAGIC; i++) {
            assertEquals(0, b.getByte(i), "chaddr padding, sname and file are zero");
        }
        return new Reply(ip.src(), ip.dst(), m.length(), DhcpMessage.Repr.parse(m));
    }

    /** Every option of an OFFER/ACK with the test plan (guest {@code yiaddr}). */
    static void assertConfiguration(Reply r, int type, boolean lease) {
        assertEquals(type, r.msg().messageType());
        assertEquals(IP_254, r.ipSrc());
        assertEquals(IP_254, r.intOpt(DhcpMessage.OPT_SERVER_ID));
        if (lease) {
            assertEquals(0xffffffff, r.intOpt(DhcpMessage.OPT_LEASE_TIME));
        } else {
            assertNull(r.opt(DhcpMessage.OPT_LEASE_TIME));
        }
        assertEquals(0xffffff00, r.intOpt(DhcpMessage.OPT_SUBNET_MASK));
        assertEquals(IP_254, r.intOpt(DhcpMessage.OPT_ROUTER));
        assertEquals(IP_254, r.intOpt(DhcpMessage.OPT_DNS));
        assertArrayEquals(hex("fff0"), r.opt(DhcpMessage.OPT_MTU)); // 65520
        assertArrayEquals("example.test".getBytes(StandardCharsets.US_ASCII), r.opt(DhcpMessage.OPT_DOMAIN_NAME));
        byte[] search = r.opt(DhcpMessage.OPT_DOMAIN_SEARCH);
        assertEquals(List.of("example.test", "corp.example"), DhcpMessage.decodeDomainNames(buf(search), 0, search.length));
    }

    @Test
    void udhcpcDiscoverGetsOffer() {
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        Reply r = parse(env.link.only());
        assertConfiguration(r, DhcpMessage.DHCPOFFER, true);
        assertEquals(IP_1, r.ipDst());                // no broadcast flag: to the offered address
        assertEquals(0xd5b57258, r.msg().xid());
        assertEquals(0, r.msg().flags());
        assertEquals(0, r.msg().ciaddr());
        assertEquals(IP_1, r.msg().yiaddr());
        assertArrayEquals(hex("01 525400123456"), r.opt(DhcpMessage.OPT_CLIENT_ID));
        assertEquals(List.of(53, 54, 51, 1, 3, 6, 26, 15, 119, 61),
                r.msg().options().stream().map(DhcpMessage.Option::code).toList());
        assertEquals(1, env.counter("dhcp.offer"));
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty()); // an offer is no lease
    }

    @Test
    void fullUdhcpcExchangeAgainstTheAddressItAskedFor() {
        reconfigure(configFor58());
        for (byte[] f : Pcap.frames("frames/dhcp4-udhcpc.pcap")) {
            if (dhcp4(DhcpMessage.DHCPDISCOVER).or(dhcp4(DhcpMessage.DHCPREQUEST)).test(f)) {
                feed(f);
            }
        }
        List<byte[]> replies = env.link.drain();
        assertEquals(2, replies.size());
        assertEquals(DhcpMessage.DHCPOFFER, parse(replies.get(0)).msg().messageType());
        Reply ack = parse(replies.get(1));
        assertEquals(DhcpMessage.DHCPACK, ack.msg().messageType());
        assertEquals(IP_58, ack.msg().yiaddr());
        assertEquals(IP_58, ack.ipDst());
        assertEquals(0xffffffff, ack.intOpt(DhcpMessage.OPT_LEASE_TIME));
        assertEquals(Set.of(v4("10.77.0.58")), env.ctx.guestState().seenAddresses());
        assertEquals(1, env.counter("dhcp.ack"));
    }

    @Test
    void dhclientExchangeAndRelease() {
        reconfigure(configFor58());
        for (byte[] f : Pcap.frames("frames/dhcp4-dhclient.pcap")) {
            if (mac(f, 6) == GUEST_MAC) {
                feed(f);
            }
        }
        List<byte[]> replies = env.link.drain();
        assertEquals(2, replies.size()); // OFFER, ACK; the RELEASE is only counted
        Reply offer = parse(replies.get(0));
        assertEquals(DhcpMessage.DHCPOFFER, offer.msg().messageType());
        assertNull(offer.opt(DhcpMessage.OPT_CLIENT_ID)); // dhclient sends none, none comes back
        assertEquals(DhcpMessage.DHCPACK, parse(replies.get(1)).msg().messageType());
        assertEquals(1, env.counter("dhcp.ignored"));
    }

    @Test
    void requestForAnotherAddressGetsBroadcastNak() {
        // udhcpc asks for 10.77.0.58, the guest's address is 10.77.0.1
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPREQUEST)));
        Reply r = parse(env.link.only());
        assertEquals(DhcpMessage.DHCPNAK, r.msg().messageType());
        assertEquals(0xffffffff, r.ipDst());
        assertEquals(0, r.msg().yiaddr());
        assertEquals(0, r.msg().ciaddr());
        assertEquals(IP_254, r.intOpt(DhcpMessage.OPT_SERVER_ID));
        assertTrue(r.opt(DhcpMessage.OPT_MESSAGE).length > 0);
        assertNull(r.opt(DhcpMessage.OPT_LEASE_TIME));
        assertNull(r.opt(DhcpMessage.OPT_ROUTER));
        assertArrayEquals(hex("01 525400123456"), r.opt(DhcpMessage.OPT_CLIENT_ID));
        assertEquals(1, env.counter("dhcp.nak"));
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty());
    }

    @Test
    void requestNamingAnotherServerIsIgnored() {
        byte[] f = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPREQUEST)).clone();
        f[optionAt(f, DhcpMessage.OPT_SERVER_ID) + 3] = 9; // 10.77.0.9
        feed(fixUdp(f));
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcp.ignored"));
    }

    @Test
    void renewingRequestWithCiaddr() {
        // dhclient's RELEASE carries ciaddr 10.77.0.58; as a REQUEST without options 50/54 it is a RENEW
        reconfigure(configFor58());
        byte[] f = Pcap.first("frames/dhcp4-dhclient.pcap", dhcp4(DhcpMessage.DHCPRELEASE)).clone();
        f[optionAt(f, DhcpMessage.OPT_MESSAGE_TYPE)] = DhcpMessage.DHCPREQUEST;
        f[optionAt(f, DhcpMessage.OPT_SERVER_ID) - 2] = (byte) 250; // rename option 54 to an unknown one
        feed(fixUdp(f));
        Reply r = parse(env.link.only());
        assertEquals(DhcpMessage.DHCPACK, r.msg().messageType());
        assertEquals(IP_58, r.msg().ciaddr());
        assertEquals(IP_58, r.msg().yiaddr());
        assertEquals(IP_58, r.ipDst());                // unicast to ciaddr
    }

    @Test
    void informGetsConfigurationWithoutAddressOrLease() {
        byte[] f = Pcap.first("frames/dhcp4-dhclient.pcap", dhcp4(DhcpMessage.DHCPRELEASE)).clone();
        f[optionAt(f, DhcpMessage.OPT_MESSAGE_TYPE)] = DhcpMessage.DHCPINFORM;
        feed(fixUdp(f));
        Reply r = parse(env.link.only());
        assertConfiguration(r, DhcpMessage.DHCPACK, false);
        assertEquals(0, r.msg().yiaddr());
        assertEquals(IP_58, r.msg().ciaddr());
        assertEquals(IP_58, r.ipDst());
        assertEquals(1, env.counter("dhcp.inform"));
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty());
    }

    @Test
    void declineAndReleaseChangeNothing() {
        byte[] f = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)).clone();
        f[optionAt(f, DhcpMessage.OPT_MESSAGE_TYPE)] = DhcpMessage.DHCPDECLINE;
        feed(fixUdp(f));
        feed(fixUdp(f));
        feed(Pcap.first("frames/dhcp4-dhclient.pcap", dhcp4(DhcpMessage.DHCPRELEASE)));
        assertEquals(0, env.link.drain().size());
        assertEquals(3, env.counter("dhcp.ignored"));
    }

    @Test
    void broadcastFlagIsHonoured() {
        byte[] f = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)).clone();
        f[DHCP + DhcpMessage.FLAGS] = (byte) 0x80;
        feed(fixUdp(f));
        Reply r = parse(env.link.only());                // Ethernet still to the guest's MAC
        assertEquals(0xffffffff, r.ipDst());
        assertEquals(DhcpMessage.FLAG_BROADCAST, r.msg().flags());
    }

    @Test
    void searchListIsLeftOutWhenTheClientCannotTakeIt() {
        GuestConfig d = TestContexts.config();
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            many.add("domain-number-" + i + ".example.test");
        }
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), many, true, true, true, true));
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER))); // max size 576
        byte[] small = env.link.only();
        Reply r = parse(small);
        assertNull(r.opt(DhcpMessage.OPT_DOMAIN_SEARCH));
        assertTrue(small.length - ETH <= 576);
        assertArrayEquals("domain-number-0.example.test".getBytes(StandardCharsets.US_ASCII),
                r.opt(DhcpMessage.OPT_DOMAIN_NAME));

        byte[] big = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)).clone();
        int mss = optionAt(big, DhcpMessage.OPT_MAX_MESSAGE_SIZE);
        big[mss] = 0x05;                               // 1500
        big[mss + 1] = (byte) 0xdc;
        feed(fixUdp(big));
        byte[] search = parse(env.link.only()).opt(DhcpMessage.OPT_DOMAIN_SEARCH);
        assertEquals(many, DhcpMessage.decodeDomainNames(buf(search), 0, search.length));
    }

    @Test
    void hostnameAndFqdnAreOfferedAsPasstDoes() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, true, true, true,
                "vm1", "vm1.example.test"));
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        Reply r = parse(env.link.only());
        assertArrayEquals("vm1".getBytes(StandardCharsets.US_ASCII), r.opt(DhcpMessage.OPT_HOSTNAME));
        // RFC 4702: flags E only, RCODE1/2 255, then the name in wire format
        assertArrayEquals(hex("04 ff ff 03 766d31 07 6578616d706c65 04 74657374 00"),
                r.opt(DhcpMessage.OPT_CLIENT_FQDN));
    }

    @Test
    void noHostnameOptionsWithoutTheOptions() {
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        Reply r = parse(env.link.only());
        assertNull(r.opt(DhcpMessage.OPT_HOSTNAME));
        assertNull(r.opt(DhcpMessage.OPT_CLIENT_FQDN));
    }

    @Test
    void invalidSearchDomainsAreNotOffered() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), List.of("bad..name", "ok.test."), true, true, true, true));
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        Reply r = parse(env.link.only());
        assertArrayEquals("ok.test".getBytes(StandardCharsets.US_ASCII), r.opt(DhcpMessage.OPT_DOMAIN_NAME));
        byte[] search = r.opt(DhcpMessage.OPT_DOMAIN_SEARCH);
        assertEquals(List.of("ok.test"), DhcpMessage.decodeDomainNames(buf(search), 0, search.length));
    }

    @Test
    void malformedMessagesAreCountedDrops() {
        byte[] good = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER));
        byte[] sum = good.clone();
        sum[DHCP + 100] ^= 1;                           // payload changed, checksum stale
        feed(sum);
        byte[] reply = good.clone();
        reply[DHCP] = DhcpMessage.OP_REPLY;
        feed(fixUdp(reply));
        byte[] overrun = good.clone();
        overrun[optionAt(good, DhcpMessage.OPT_MESSAGE_TYPE) - 1] = (byte) 250;
        feed(fixUdp(overrun));
        byte[] cookie = good.clone();
        cookie[DHCP + DhcpMessage.MAGIC] = 0;
        feed(fixUdp(cookie));
        byte[] htype = good.clone();
        htype[DHCP + 1] = 6;
        feed(fixUdp(htype));
        byte[] noType = good.clone();                   // BOOTP without option 53
        noType[optionAt(good, DhcpMessage.OPT_MESSAGE_TYPE) - 2] = (byte) 250;
        feed(fixUdp(noType));
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcp.bad_checksum"));
        assertEquals(4, env.counter("dhcp.bad"));
        assertEquals(1, env.counter("dhcp.ignored"));
    }

    @Test
    void truncatedMessageThroughTheDispatcher() {
        Dispatcher d = new Dispatcher(env.ctx);
        byte[] good = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER));
        for (int len = 0; len < good.length; len++) {
            d.onFrame(buf(Arrays.copyOf(good, len)));
        }
        // cut inside the DHCP message but with consistent IP and UDP lengths
        byte[] cut = Arrays.copyOf(good, DHCP + 200);
        ByteBuf b = buf(cut);
        b.setShort(ETH + 2, 20 + 8 + 200);
        b.setShort(ETH + 10, 0);
        b.setShort(ETH + 10, Checksum.compute(b, ETH, 20));
        b.setShort(ETH + 20 + 4, 8 + 200);
        d.onFrame(buf(fixUdp(cut)));
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcp.bad"));
    }
}
