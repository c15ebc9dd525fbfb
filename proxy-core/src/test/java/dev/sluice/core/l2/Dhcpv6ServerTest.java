package dev.sluice.core.l2;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.Dhcpv6Message;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.dhcp6;
import static dev.sluice.core.testing.Frames.hex;
import static dev.sluice.core.testing.Frames.mac;
import static dev.sluice.core.testing.Frames.u16;
import static dev.sluice.core.testing.TestContexts.GUEST_MAC;
import static dev.sluice.core.testing.TestContexts.OUR_MAC;
import static dev.sluice.core.testing.TestContexts.v6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Dhcpv6ServerTest {
    static final int MSG = IP6_L4 + 8;
    static final long FE80 = 0xfe80_0000_0000_0000L;
    static final long GUEST_LL_LO = 0x5054_00ff_fe12_3456L;
    static final byte[] OUR_DUID = hex("0003 0001 9a559a559a55");
    static final byte[] CLIENT_DUID = hex("0001 0001 329d760a 525400123456");
    static final String CAP = "frames/dhcp6-dhclient.pcap";

    private TestContexts.Env env = TestContexts.env();
    private Dhcpv6Server server = new Dhcpv6Server(env.ctx);

    @AfterEach
    void close() {
        env.close();
    }

    private void reconfigure(GuestConfig cfg) {
        env.close();
        env = TestContexts.env(cfg);
        server = new Dhcpv6Server(env.ctx);
    }

    private void feed(byte[] f) {
        EthernetFrame eth = new EthernetFrame();
        Ipv6Packet ip = new Ipv6Packet();
        UdpDatagram udp = new UdpDatagram();
        assertTrue(eth.wrap(buf(f), 0, f.length));
        assertTrue(ip.wrap(eth.buffer(), ETH, f.length - ETH));
        assertTrue(udp.wrap(eth.buffer(), ip.upperLayerOffset(), ip.upperLayerLength()));
        server.onDhcpv6(eth, ip, udp);
    }

    static Dhcpv6Message.Repr repr(byte[] f) {
        Dhcpv6Message m = new Dhcpv6Message();
        assertTrue(m.wrap(buf(f), MSG, f.length - MSG));
        return Dhcpv6Message.Repr.parse(m);
    }

    /** The captured frame's headers around a new message, with lengths and UDP checksum redone. */
    static byte[] rebuild(byte[] orig, Dhcpv6Message.Repr r) {
        ByteBuf b = Unpooled.buffer(2048);
        b.writeBytes(orig, 0, MSG);
        int len = r.emit(b, MSG);
        b.setShort(ETH + Ipv6Packet.PAYLOAD_LEN, 8 + len);
        b.setShort(IP6_L4 + UdpDatagram.LENGTH, 8 + len);
        b.setShort(IP6_L4 + UdpDatagram.CHECKSUM, 0);
        int c = Checksum.finish(Checksum.add(Checksum.pseudoV6(b, ETH, 17, 8 + len), b, IP6_L4, 8 + len));
        b.setShort(IP6_L4 + UdpDatagram.CHECKSUM, c == 0 ? 0xffff : c);
        byte[] out = new byte[MSG + len];
        b.getBytes(0, out);
        return out;
    }

    static Dhcpv6Message.Repr with(Dhcpv6Message.Repr r, int type, int drop, Dhcpv6Message.Option... add) {
        List<Dhcpv6Message.Option> opts = new ArrayList<>();
        for (Dhcpv6Message.Option o : r.options()) {
            if (o.code() != drop) {
                opts.add(o);
            }
        }
        opts.addAll(List.of(add));
        return new Dhcpv6Message.Repr(type, r.transactionId(), opts);
    }

    /** A reply, checked layer by layer: to the guest from fe80::1 port 547 to its link-local port 546. */
    static Dhcpv6Message.Repr parse(byte[] f, int type, int xid) {
        assertEquals(GUEST_MAC, mac(f, 0));
        assertEquals(OUR_MAC, mac(f, 6));
        assertEquals(0x86dd, u16(f, 12));
        ByteBuf b = buf(f);
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(b, ETH, f.length - ETH));
        assertEquals(f.length - IP6_L4, ip.payloadLength());
        assertEquals(Ipv6Packet.NH_UDP, ip.nextHeader());
        assertEquals(FE80, ip.srcHi());
        assertEquals(1, ip.srcLo());
        assertEquals(FE80, ip.dstHi());
        assertEquals(GUEST_LL_LO, ip.dstLo());
        UdpDatagram udp = new UdpDatagram();
        assertTrue(udp.wrap(b, IP6_L4, ip.upperLayerLength()));
        assertEquals(547, udp.srcPort());
        assertEquals(546, udp.dstPort());
        assertEquals(ip.upperLayerLength(), udp.length());
        assertTrue(udp.verifyChecksum(ip.pseudoHeaderSum(), true), "UDP checksum");
        Dhcpv6Message m = new Dhcpv6Message();
        assertTrue(m.wrap(b, MSG, udp.payloadLength()));
        assertTrue(m.optionsValid());
        Dhcpv6Message.Repr r = Dhcpv6Message.Repr.parse(m);
        assertEquals(type, r.msgType());
        assertEquals(xid, r.transactionId());
        assertArrayEquals(OUR_DUID, r.option(Dhcpv6Message.OPT_SERVERID));
        return r;
    }

    static void assertAddressIa(Dhcpv6Message.Repr r, long addrLo) {
        ByteBuffer ia = ByteBuffer.wrap(r.option(Dhcpv6Message.OPT_IA_NA));
        assertEquals(Dhcpv6Message.IA_NA_FIXED + 4 + Dhcpv6Message.IAADDR_FIXED, ia.remaining());
        assertEquals(0x123456, ia.getInt());           // dhclient's IAID, echoed
        assertEquals(-1, ia.getInt());                  // T1, T2: infinite
        assertEquals(-1, ia.getInt());
        assertEquals(Dhcpv6Message.OPT_IAADDR, ia.getShort());
        assertEquals(Dhcpv6Message.IAADDR_FIXED, ia.getShort());
        assertEquals(0xfd77_0000_0000_0000L, ia.getLong());
        assertEquals(addrLo, ia.getLong());
        assertEquals(-1, ia.getInt());                  // preferred, valid: infinite
        assertEquals(-1, ia.getInt());
    }

    static void assertDnsAndDomains(Dhcpv6Message.Repr r) {
        assertArrayEquals(hex("fd77 0000 0000 0000 0000 0000 0000 00fe"), r.option(Dhcpv6Message.OPT_DNS_SERVERS));
        byte[] d = r.option(Dhcpv6Message.OPT_DOMAIN_LIST);
        assertEquals(List.of("example.test", "corp.example"), DhcpMessage.decodeDomainNames(buf(d), 0, d.length));
    }

    static List<Integer> codes(Dhcpv6Message.Repr r) {
        return r.options().stream().map(Dhcpv6Message.Option::code).toList();
    }

    @Test
    void dhclientSolicitGetsAdvertise() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT));
        feed(f);
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.ADVERTISE, repr(f).transactionId());
        assertEquals(List.of(1, 2, 3, 23, 24), codes(r));
        assertArrayEquals(CLIENT_DUID, r.option(Dhcpv6Message.OPT_CLIENTID));
        assertAddressIa(r, 1);
        assertDnsAndDomains(r);
        assertEquals(1, env.counter("dhcpv6.advertise"));
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty());
    }

    @Test
    void rapidCommitSolicitGetsReply() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT));
        Dhcpv6Message.Repr s = repr(f);
        feed(rebuild(f, with(s, Dhcpv6Message.SOLICIT, -1, new Dhcpv6Message.Option(14, new byte[0]))));
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.REPLY, s.transactionId());
        assertEquals(List.of(1, 2, 14, 3, 23, 24), codes(r));
        assertAddressIa(r, 1);
        assertEquals(Set.of(v6("fd77::1")), env.ctx.guestState().seenAddresses());
    }

    @Test
    void requestNamingAnotherServerIsIgnoredAndOursIsAnswered() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.REQUEST)); // names dnsmasq's DUID
        feed(f);
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcpv6.ignored"));

        Dhcpv6Message.Repr q = repr(f);
        feed(rebuild(f, with(q, Dhcpv6Message.REQUEST, Dhcpv6Message.OPT_SERVERID,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_SERVERID, OUR_DUID))));
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.REPLY, q.transactionId());
        assertEquals(List.of(1, 2, 3, 23, 24), codes(r));
        assertAddressIa(r, 1);       // fd77::1, not the fd77::5d dhclient asked for
        assertDnsAndDomains(r);
        assertEquals(Set.of(v6("fd77::1")), env.ctx.guestState().seenAddresses());
    }

    @Test
    void renewAndRebind() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.REQUEST));
        Dhcpv6Message.Repr q = repr(f);
        feed(rebuild(f, with(q, Dhcpv6Message.RENEW, Dhcpv6Message.OPT_SERVERID,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_SERVERID, OUR_DUID))));
        assertAddressIa(parse(env.link.only(), Dhcpv6Message.REPLY, q.transactionId()), 1);
        feed(rebuild(f, with(q, Dhcpv6Message.REBIND, Dhcpv6Message.OPT_SERVERID)));
        assertAddressIa(parse(env.link.only(), Dhcpv6Message.REPLY, q.transactionId()), 1);
        feed(rebuild(f, with(q, Dhcpv6Message.REBIND, -1))); // a REBIND naming a server is invalid
        assertEquals(0, env.link.drain().size());
    }

    @Test
    void confirmOnAndOffLink() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.CONFIRM)); // fd77::5d
        feed(f);
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.REPLY, repr(f).transactionId());
        assertEquals(List.of(1, 2, 13), codes(r));
        assertEquals(Dhcpv6Message.STATUS_SUCCESS, ByteBuffer.wrap(r.option(Dhcpv6Message.OPT_STATUS_CODE)).getShort());

        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                v6("fd66::1"), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, true, true, true));
        feed(f);
        r = parse(env.link.only(), Dhcpv6Message.REPLY, repr(f).transactionId());
        byte[] status = r.option(Dhcpv6Message.OPT_STATUS_CODE);
        assertEquals(Dhcpv6Message.STATUS_NOT_ON_LINK, ByteBuffer.wrap(status).getShort());
        assertNull(r.option(Dhcpv6Message.OPT_IA_NA));
    }

    @Test
    void releaseGetsSuccess() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.RELEASE));
        feed(f);                      // for dnsmasq: not ours to answer
        assertEquals(0, env.link.drain().size());
        Dhcpv6Message.Repr q = repr(f);
        feed(rebuild(f, with(q, Dhcpv6Message.RELEASE, Dhcpv6Message.OPT_SERVERID,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_SERVERID, OUR_DUID))));
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.REPLY, q.transactionId());
        assertEquals(List.of(1, 2, 13), codes(r));
        byte[] status = r.option(Dhcpv6Message.OPT_STATUS_CODE);
        assertEquals(0, ByteBuffer.wrap(status).getShort());
        assertEquals("success", new String(status, 2, status.length - 2, StandardCharsets.US_ASCII));

        feed(rebuild(f, with(q, Dhcpv6Message.DECLINE, Dhcpv6Message.OPT_SERVERID,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_SERVERID, OUR_DUID))));
        r = parse(env.link.only(), Dhcpv6Message.REPLY, q.transactionId());
        assertEquals(0, ByteBuffer.wrap(r.option(Dhcpv6Message.OPT_STATUS_CODE)).getShort());
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty());
    }

    @Test
    void informationRequestGetsConfigurationOnly() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.INFORMATION_REQUEST));
        feed(f);
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.REPLY, repr(f).transactionId());
        assertEquals(List.of(1, 2, 23, 24), codes(r));
        assertArrayEquals(hex("0003 0001 525400123456"), r.option(Dhcpv6Message.OPT_CLIENTID));
        assertDnsAndDomains(r);
        assertTrue(env.ctx.guestState().seenAddresses().isEmpty());
    }

    @Test
    void fqdnIsOfferedWithTheConfiguration() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                d.addr6(), 64, d.gw6(), d.routerLl6(), d.dns6(), d.search(), true, true, true, true,
                "vm1", "vm1.example.test"));
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT));
        feed(f);
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.ADVERTISE, repr(f).transactionId());
        assertEquals(List.of(1, 2, 3, 23, 24, 39), codes(r));
        // RFC 4704: flags 0 (Sluice updates no DNS), then the name in wire format
        assertArrayEquals(hex("00 03 766d31 07 6578616d706c65 04 74657374 00"),
                r.option(Dhcpv6Message.OPT_CLIENT_FQDN));
    }

    @Test
    void withoutAnAddressTheIaSaysSo() {
        GuestConfig d = TestContexts.config();
        reconfigure(new GuestConfig(d.ourMac(), 0, d.mtu(), true, d.addr4(), 24, d.gw4(), d.dns4(), true,
                null, 64, d.gw6(), d.routerLl6(), List.of(), List.of(), true, true, true, true));
        feed(Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT)));
        Dhcpv6Message.Repr r = parse(env.link.only(), Dhcpv6Message.ADVERTISE,
                repr(Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT))).transactionId());
        assertEquals(List.of(1, 2, 3), codes(r));
        ByteBuffer ia = ByteBuffer.wrap(r.option(Dhcpv6Message.OPT_IA_NA));
        assertEquals(0x123456, ia.getInt(0));
        assertEquals(Dhcpv6Message.OPT_STATUS_CODE, ia.getShort(12));
        assertEquals(Dhcpv6Message.STATUS_NO_ADDRS_AVAIL, ia.getShort(16));
    }

    @Test
    void invalidMessagesAreCountedDrops() {
        byte[] f = Pcap.first(CAP, dhcp6(Dhcpv6Message.SOLICIT));
        byte[] sum = f.clone();
        sum[sum.length - 1] ^= 1;
        feed(sum);
        Dhcpv6Message.Repr s = repr(f);
        feed(rebuild(f, with(s, Dhcpv6Message.SOLICIT, Dhcpv6Message.OPT_CLIENTID)));       // no client id
        feed(rebuild(f, with(s, Dhcpv6Message.SOLICIT, -1,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_SERVERID, OUR_DUID))));           // solicit naming a server
        feed(rebuild(f, with(s, Dhcpv6Message.ADVERTISE, -1)));                              // a server's message
        feed(rebuild(f, with(s, Dhcpv6Message.SOLICIT, Dhcpv6Message.OPT_IA_NA,
                new Dhcpv6Message.Option(Dhcpv6Message.OPT_IA_NA, new byte[4]))));          // IA_NA too short
        byte[] unspecified = rebuild(f, s);
        ByteBuf b = buf(unspecified);
        b.setLong(ETH + 8, 0);
        b.setLong(ETH + 16, 0);
        feed(rebuild(unspecified, s));                                                       // from ::
        byte[] trunc = rebuild(f, s);
        ByteBuf t = buf(trunc);
        t.setShort(MSG + 4 + 2, 200);                                                        // client id too long
        feed(fixChecksumOnly(trunc));
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcpv6.bad_checksum"));
        assertEquals(3, env.counter("dhcpv6.bad"));
        assertEquals(3, env.counter("dhcpv6.ignored"));
    }

    static byte[] fixChecksumOnly(byte[] f) {
        ByteBuf b = buf(f);
        int len = b.getUnsignedShort(IP6_L4 + 4);
        b.setShort(IP6_L4 + 6, 0);
        int c = Checksum.finish(Checksum.add(Checksum.pseudoV6(b, ETH, 17, len), b, IP6_L4, len));
        b.setShort(IP6_L4 + 6, c == 0 ? 0xffff : c);
        return f;
    }

    @Test
    void wholeCaptureNeverThrows() {
        for (byte[] f : Pcap.frames(CAP)) {
            if (u16(f, IP6_L4 + 2) == 547) {
                feed(f);
            }
        }
        assertNotNull(env.link.drain());
    }
}
