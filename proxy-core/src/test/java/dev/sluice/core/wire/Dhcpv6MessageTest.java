package dev.sluice.core.wire;

import dev.sluice.core.testing.Pcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.dhcp6;
import static dev.sluice.core.testing.Frames.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Dhcpv6MessageTest {
    private static final int MSG = IP6_L4 + 8;
    private static final byte[] CLIENT_DUID = hex("0001 0001 329d760a 525400123456");  // DUID-LLT
    private static final byte[] DNSMASQ_DUID = hex("0001 0001 329d75ff 9a559a559a55");

    private static Dhcpv6Message wrap(byte[] f) {
        Dhcpv6Message m = new Dhcpv6Message();
        assertTrue(m.wrap(buf(f), MSG, f.length - MSG));
        return m;
    }

    private static byte[] data(Dhcpv6Message m, int dataOff) {
        return ByteBufUtil.getBytes(m.buffer(), dataOff, m.lengthAt(dataOff));
    }

    @Test
    void deconstructDhclientSolicit() {
        Dhcpv6Message m = wrap(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.SOLICIT)));
        assertEquals(Dhcpv6Message.SOLICIT, m.msgType());
        assertEquals(0xcca995, m.transactionId());
        int[] codes = new int[4];
        int n = 0;
        while (m.nextOption()) {
            codes[n++] = m.optionCode();
        }
        assertFalse(m.optionsMalformed());
        assertArrayEquals(new int[] {Dhcpv6Message.OPT_CLIENTID, Dhcpv6Message.OPT_ORO, Dhcpv6Message.OPT_ELAPSED_TIME,
                Dhcpv6Message.OPT_IA_NA}, codes);
        assertArrayEquals(CLIENT_DUID, data(m, m.findOption(Dhcpv6Message.OPT_CLIENTID)));
        assertArrayEquals(hex("0017 0018 0027 001f"), data(m, m.findOption(Dhcpv6Message.OPT_ORO)));
        assertArrayEquals(hex("0000"), data(m, m.findOption(Dhcpv6Message.OPT_ELAPSED_TIME)));
        int ia = m.findOption(Dhcpv6Message.OPT_IA_NA);
        assertEquals(Dhcpv6Message.IA_NA_FIXED, m.lengthAt(ia));
        assertEquals(0x123456, m.buffer().getInt(ia));
        assertEquals(3600, m.buffer().getInt(ia + 4));
        assertEquals(5400, m.buffer().getInt(ia + 8));
        assertEquals(-1, m.findOption(Dhcpv6Message.OPT_SERVERID));
        assertEquals(-1, m.findOption(Dhcpv6Message.OPT_RAPID_COMMIT));
    }

    @Test
    void deconstructDnsmasqAdvertiseWithNestedOptions() {
        Dhcpv6Message m = wrap(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.ADVERTISE)));
        assertEquals(0xcca995, m.transactionId());
        assertArrayEquals(DNSMASQ_DUID, data(m, m.findOption(Dhcpv6Message.OPT_SERVERID)));
        int ia = m.findOption(Dhcpv6Message.OPT_IA_NA);
        assertEquals(0x123456, m.buffer().getInt(ia));
        assertEquals(21600, m.buffer().getInt(ia + 4));
        assertEquals(37800, m.buffer().getInt(ia + 8));
        int iaLen = m.lengthAt(ia);
        int dns = m.findOption(Dhcpv6Message.OPT_DNS_SERVERS);
        int domains = m.findOption(Dhcpv6Message.OPT_DOMAIN_LIST);

        m.wrapOptions(ia + Dhcpv6Message.IA_NA_FIXED, iaLen - Dhcpv6Message.IA_NA_FIXED);
        assertTrue(m.nextOption());
        assertEquals(Dhcpv6Message.OPT_IAADDR, m.optionCode());
        int addr = m.optionDataOffset();
        assertEquals(0xfd77_0000_0000_0000L, m.buffer().getLong(addr));
        assertEquals(0x5dL, m.buffer().getLong(addr + 8));
        assertEquals(43200, m.buffer().getInt(addr + 16));
        assertEquals(43200, m.buffer().getInt(addr + 20));
        assertFalse(m.nextOption());
        assertFalse(m.optionsMalformed());

        m.topLevelOptions();
        int status = m.findOption(Dhcpv6Message.OPT_STATUS_CODE);
        assertEquals(Dhcpv6Message.STATUS_SUCCESS, m.buffer().getUnsignedShort(status));
        assertEquals("success", m.buffer().toString(status + 2, m.lengthAt(status) - 2, StandardCharsets.US_ASCII));
        assertArrayEquals(hex("fd77 0000 0000 0000 0000 0000 0000 00fe"), data(m, dns));
        assertEquals(List.of("example.test"), DhcpMessage.decodeDomainNames(m.buffer(), domains, m.lengthAt(domains)));
    }

    @Test
    void deconstructConfirmAndInformationRequest() {
        Dhcpv6Message c = wrap(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.CONFIRM)));
        int ia = c.findOption(Dhcpv6Message.OPT_IA_NA);
        c.wrapOptions(ia + Dhcpv6Message.IA_NA_FIXED, c.lengthAt(ia) - Dhcpv6Message.IA_NA_FIXED);
        int addr = c.findOption(Dhcpv6Message.OPT_IAADDR);
        assertEquals(0x5dL, c.buffer().getLong(addr + 8));
        assertEquals(0, c.buffer().getInt(addr + 16));

        Dhcpv6Message i = wrap(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.INFORMATION_REQUEST)));
        assertArrayEquals(hex("0003 0001 525400123456"), data(i, i.findOption(Dhcpv6Message.OPT_CLIENTID))); // DUID-LL
        assertEquals(-1, i.findOption(Dhcpv6Message.OPT_IA_NA));
    }

    @Test
    void constructDnsmasqAdvertise() {
        byte[] f = Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.ADVERTISE));
        int len = f.length - MSG;
        ByteBuf out = Unpooled.buffer(len);
        int p = Dhcpv6Message.emitHeader(out, 0, Dhcpv6Message.ADVERTISE, 0xcca995);
        p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_CLIENTID, CLIENT_DUID);
        p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_SERVERID, DNSMASQ_DUID);
        int before = p;
        p = Dhcpv6Message.putIaNaWithAddress(out, p, 0x123456, 21600, 37800, 0xfd77_0000_0000_0000L, 0x5d, 43200, 43200);
        assertEquals(Dhcpv6Message.IA_NA_WITH_ADDRESS_LEN, p - before);
        byte[] success = "success".getBytes(StandardCharsets.US_ASCII);
        p = Dhcpv6Message.putStatus(out, p, Dhcpv6Message.STATUS_SUCCESS, success);
        p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_PREFERENCE, new byte[] {0});
        p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_DOMAIN_LIST, DhcpMessage.encodeDomainNames(List.of("example.test")));
        p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_DNS_SERVERS, hex("fd77 0000 0000 0000 0000 0000 0000 00fe"));
        assertEquals(len, p);
        assertArrayEquals(Arrays.copyOfRange(f, MSG, f.length), ByteBufUtil.getBytes(out, 0, len));
    }

    @Test
    void duidLlAndStatusInIaNa() {
        ByteBuf out = Unpooled.buffer(64);
        int p = Dhcpv6Message.emitHeader(out, 0, Dhcpv6Message.REPLY, 0x010203);
        p = Dhcpv6Message.putDuidLl(out, p, Dhcpv6Message.OPT_SERVERID, 0x9a559a559a55L);
        p = Dhcpv6Message.putIaNaWithStatus(out, p, 7, Dhcpv6Message.STATUS_NO_ADDRS_AVAIL, new byte[0]);
        p = Dhcpv6Message.putEmpty(out, p, Dhcpv6Message.OPT_RAPID_COMMIT);
        assertArrayEquals(hex("07 010203  0002 000a 0003 0001 9a559a559a55  0003 0012 00000007 00000000 00000000"
                + " 000d 0002 0002  000e 0000"), ByteBufUtil.getBytes(out, 0, p));
    }

    @Test
    void parseEmitRoundTripOfEveryCapturedMessage() {
        List<byte[]> frames = Pcap.frames("frames/dhcp6-dhclient.pcap");
        assertEquals(10, frames.size());
        for (byte[] f : frames) {
            Dhcpv6Message m = wrap(f);
            Dhcpv6Message.Repr r = Dhcpv6Message.Repr.parse(m);
            assertNotNull(r);
            ByteBuf out = Unpooled.buffer(f.length);
            int len = r.emit(out, 0);
            assertArrayEquals(Arrays.copyOfRange(f, MSG, f.length), ByteBufUtil.getBytes(out, 0, len));
        }
    }

    @Test
    void truncatedAndMalformed() {
        byte[] f = Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.SOLICIT));
        Dhcpv6Message m = new Dhcpv6Message();
        assertFalse(m.wrap(buf(f), MSG, 3));
        assertFalse(m.wrap(buf(f), MSG, f.length));

        byte[] overrun = f.clone();
        overrun[MSG + 4 + 2] = 0x01;                          // client id claims 270 bytes
        m = wrap(overrun);
        assertFalse(m.optionsValid());
        assertEquals(-1, m.findOption(Dhcpv6Message.OPT_IA_NA));
        assertNull(Dhcpv6Message.Repr.parse(m));

        byte[] cut = Arrays.copyOf(f, f.length - 2);          // IA_NA cut short
        m = new Dhcpv6Message();
        assertTrue(m.wrap(buf(cut), MSG, cut.length - MSG));
        assertFalse(m.optionsValid());

        assertTrue(m.wrap(buf(f), MSG, 4));                   // header only
        assertTrue(m.optionsValid());
        assertTrue(m.wrap(buf(f), MSG, 7));                   // three stray bytes
        assertFalse(m.optionsValid());
    }
}
