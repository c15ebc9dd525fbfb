package dev.sluice.core.wire;

import dev.sluice.core.testing.Pcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.dhcp4;
import static dev.sluice.core.testing.Frames.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DhcpMessageTest {
    private static final long GUEST = 0x525400123456L;
    /** Ethernet + IPv4 (no options) + UDP: where the DHCP message starts in the captures. */
    private static final int DHCP = 14 + 20 + 8;
    private static final int IP_58 = 0x0a4d003a;
    private static final int IP_254 = 0x0a4d00fe;

    private static DhcpMessage wrap(byte[] f) {
        DhcpMessage m = new DhcpMessage();
        int udpLen = ((f[14 + 20 + 4] & 0xff) << 8) | (f[14 + 20 + 5] & 0xff);
        assertTrue(m.wrap(buf(f), DHCP, udpLen - 8));
        return m;
    }

    private static byte[] option(DhcpMessage m, int code) {
        int p = m.findOption(code);
        if (p < 0) {
            return null;
        }
        return ByteBufUtil.getBytes(m.buffer(), p, m.lengthAt(p));
    }

    @Test
    void deconstructUdhcpcDiscover() {
        DhcpMessage m = wrap(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        assertEquals(300, m.length());
        assertEquals(DhcpMessage.OP_REQUEST, m.op());
        assertEquals(DhcpMessage.HTYPE_ETHERNET, m.hardwareType());
        assertEquals(6, m.hardwareLength());
        assertEquals(0, m.hops());
        assertEquals(0xd5b57258, m.xid());
        assertEquals(0, m.secs());
        assertEquals(0, m.flags());
        assertFalse(m.broadcastFlag());
        assertEquals(0, m.ciaddr());
        assertEquals(0, m.yiaddr());
        assertEquals(0, m.siaddr());
        assertEquals(0, m.giaddr());
        assertEquals(GUEST, m.chaddr());
        assertEquals(DhcpMessage.DHCPDISCOVER, m.messageType());
        assertEquals(576, m.shortOption(DhcpMessage.OPT_MAX_MESSAGE_SIZE, -1));
        assertArrayEquals(new byte[] {1, 3, 6, 12, 15, 26, 28, 42, 119}, option(m, DhcpMessage.OPT_PARAM_REQUEST));
        assertTrue(m.requests(DhcpMessage.OPT_DOMAIN_SEARCH));
        assertFalse(m.requests(DhcpMessage.OPT_LEASE_TIME));
        assertArrayEquals("guest".getBytes(StandardCharsets.US_ASCII), option(m, DhcpMessage.OPT_HOSTNAME));
        assertArrayEquals(hex("01 525400123456"), option(m, DhcpMessage.OPT_CLIENT_ID));
        assertEquals(-1, m.intOption(DhcpMessage.OPT_REQUESTED_IP, -1));
        assertNull(option(m, DhcpMessage.OPT_SERVER_ID));

        // the cursor sees the same options in wire order
        int[] codes = new int[8];
        int n = 0;
        m.resetOptions();
        while (m.nextOption()) {
            codes[n++] = m.optionCode();
        }
        assertFalse(m.optionsMalformed());
        assertArrayEquals(new int[] {53, 57, 55, 12, 60, 61, 0, 0}, codes);
        assertTrue(m.optionsValid());
    }

    @Test
    void deconstructRequestsAndRelease() {
        DhcpMessage req = wrap(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPREQUEST)));
        assertEquals(IP_58, req.intOption(DhcpMessage.OPT_REQUESTED_IP, 0));
        assertEquals(IP_254, req.intOption(DhcpMessage.OPT_SERVER_ID, 0));
        assertEquals(0, req.ciaddr());

        DhcpMessage rel = wrap(Pcap.first("frames/dhcp4-dhclient.pcap", dhcp4(DhcpMessage.DHCPRELEASE)));
        assertEquals(IP_58, rel.ciaddr());
        assertEquals(IP_254, rel.intOption(DhcpMessage.OPT_SERVER_ID, 0));
        assertEquals(0x152e1f46, rel.xid());
    }

    @Test
    void deconstructDnsmasqOffer() {
        DhcpMessage m = wrap(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPOFFER)));
        assertEquals(DhcpMessage.OP_REPLY, m.op());
        assertEquals(0xd5b57258, m.xid());
        assertEquals(IP_58, m.yiaddr());
        assertEquals(IP_254, m.siaddr());
        assertEquals(GUEST, m.chaddr());
        assertEquals(DhcpMessage.DHCPOFFER, m.messageType());
        assertEquals(IP_254, m.intOption(DhcpMessage.OPT_SERVER_ID, 0));
        assertEquals(43200, m.intOption(DhcpMessage.OPT_LEASE_TIME, 0));
        assertEquals(0xffffff00, m.intOption(DhcpMessage.OPT_SUBNET_MASK, 0));
        assertEquals(1500, m.shortOption(DhcpMessage.OPT_MTU, 0));
        assertEquals(IP_254, m.intOption(DhcpMessage.OPT_ROUTER, 0));
        assertEquals(IP_254, m.intOption(DhcpMessage.OPT_DNS, 0));
        assertArrayEquals("example.test".getBytes(StandardCharsets.US_ASCII), option(m, DhcpMessage.OPT_DOMAIN_NAME));
        int p = m.findOption(DhcpMessage.OPT_DOMAIN_SEARCH);
        assertEquals(List.of("example.test", "corp.example"), DhcpMessage.decodeDomainNames(m.buffer(), p, m.lengthAt(p)));
    }

    @Test
    void constructDnsmasqOffer() {
        byte[] f = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPOFFER));
        DhcpMessage orig = wrap(f);
        ByteBuf out = Unpooled.buffer(orig.length());
        out.writeZero(orig.length());
        int p = DhcpMessage.emitHeader(out, 0, DhcpMessage.OP_REPLY, 0xd5b57258, 0, 0, 0, IP_58, IP_254, 0, GUEST);
        p = DhcpMessage.putByte(out, p, DhcpMessage.OPT_MESSAGE_TYPE, DhcpMessage.DHCPOFFER);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_SERVER_ID, IP_254);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_LEASE_TIME, 43200);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_RENEWAL_TIME, 21600);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_REBINDING_TIME, 37800);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_SUBNET_MASK, 0xffffff00);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_BROADCAST_ADDR, 0x0a4d00ff);
        p = DhcpMessage.putShort(out, p, DhcpMessage.OPT_MTU, 1500);
        p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_DOMAIN_NAME, "example.test".getBytes(StandardCharsets.US_ASCII));
        p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_DOMAIN_SEARCH,
                DhcpMessage.encodeDomainNames(List.of("example.test", "corp.example")));
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_DNS, IP_254);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_ROUTER, IP_254);
        p = DhcpMessage.putEnd(out, p);
        assertTrue(p <= orig.length());
        assertArrayEquals(Arrays.copyOfRange(f, DHCP, DHCP + orig.length()), ByteBufUtil.getBytes(out, 0, orig.length()));
    }

    @Test
    void parseEmitRoundTripOfEveryCapturedMessage() {
        int n = 0;
        for (String cap : new String[] {"frames/dhcp4-udhcpc.pcap", "frames/dhcp4-dhclient.pcap"}) {
            for (byte[] f : Pcap.frames(cap)) {
                DhcpMessage m = wrap(f);
                DhcpMessage.Repr r = DhcpMessage.Repr.parse(m);
                assertNotNull(r);
                ByteBuf out = Unpooled.buffer(m.length());
                out.writeZero(m.length());
                int end = r.emit(out, 0);
                assertTrue(end <= m.length());
                // what follows the end option in the captures is zero padding
                assertArrayEquals(Arrays.copyOfRange(f, DHCP, DHCP + m.length()), ByteBufUtil.getBytes(out, 0, m.length()), cap);
                n++;
            }
        }
        assertEquals(9, n);
    }

    @Test
    void longOptionsAreSplitAndConcatenated() {
        byte[] big = new byte[300];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        ByteBuf out = Unpooled.buffer(600);
        out.writeZero(600);
        int p = DhcpMessage.emitHeader(out, 0, DhcpMessage.OP_REPLY, 1, 0, 0, 0, 0, 0, 0, GUEST);
        int q = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_DOMAIN_SEARCH, big);
        assertEquals(DhcpMessage.encodedLength(300), q - p);
        DhcpMessage.putEnd(out, q);
        DhcpMessage m = new DhcpMessage();
        assertTrue(m.wrap(out, 0, 600));
        assertEquals(255, m.lengthAt(m.findOption(DhcpMessage.OPT_DOMAIN_SEARCH)));
        assertArrayEquals(big, DhcpMessage.Repr.parse(m).option(DhcpMessage.OPT_DOMAIN_SEARCH));
        assertEquals(2 + 0, DhcpMessage.encodedLength(0));
    }

    @Test
    void domainNames() {
        byte[] enc = DhcpMessage.encodeDomainNames(List.of("example.test.", "", "corp.example"));
        assertArrayEquals(hex("07 6578616d706c65 04 74657374 00 04 636f7270 07 6578616d706c65 00"), enc);
        assertEquals(List.of("example.test", "corp.example"), DhcpMessage.decodeDomainNames(buf(enc), 0, enc.length));
        assertEquals(0, DhcpMessage.encodeDomainNames(List.of()).length);
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.encodeDomainNames(List.of("a..b")));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.encodeDomainNames(List.of("x".repeat(64) + ".test")));
        assertThrows(IllegalArgumentException.class,
                () -> DhcpMessage.encodeDomainNames(List.of(("x".repeat(60) + ".").repeat(5) + "test")));
        assertThrows(IllegalArgumentException.class, () -> DhcpMessage.encodeDomainNames(List.of("bücher.test")));

        // RFC 3397's example: the second name points into the first
        byte[] rfc = hex("03 656e67 05 6170706c65 03 636f6d 00 09 6d61726b6574696e67 c0 04");
        assertEquals(List.of("eng.apple.com", "marketing.apple.com"), DhcpMessage.decodeDomainNames(buf(rfc), 0, rfc.length));
        assertNull(DhcpMessage.decodeDomainNames(buf(hex("c0 00")), 0, 2));            // pointer loop
        assertNull(DhcpMessage.decodeDomainNames(buf(hex("05 6170")), 0, 3));          // label past the end
        assertNull(DhcpMessage.decodeDomainNames(buf(hex("03 636f6d")), 0, 4));        // no terminator
        assertNull(DhcpMessage.decodeDomainNames(buf(hex("c0")), 0, 1));               // half a pointer
        assertNull(DhcpMessage.decodeDomainNames(buf(hex("40 00")), 0, 2));            // reserved label type
    }

    @Test
    void truncatedAndMalformed() {
        byte[] f = Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER));
        DhcpMessage m = new DhcpMessage();
        assertFalse(m.wrap(buf(f), DHCP, 239));
        byte[] noCookie = f.clone();
        noCookie[DHCP + DhcpMessage.MAGIC] = 0;
        assertFalse(m.wrap(buf(noCookie), DHCP, 300));
        assertFalse(m.wrap(buf(f), DHCP, f.length));                 // more than the buffer holds

        // option 53 with length 200: runs past the end
        byte[] overrun = f.clone();
        overrun[DHCP + 241] = (byte) 200;
        assertTrue(m.wrap(buf(overrun), DHCP, 300));
        assertFalse(m.optionsValid());
        assertEquals(-1, m.messageType());
        assertNull(DhcpMessage.Repr.parse(m));

        // option 53 of length 2 is not a message type
        byte[] twoBytes = f.clone();
        twoBytes[DHCP + 241] = 2;
        assertTrue(m.wrap(buf(twoBytes), DHCP, 300));
        assertEquals(-1, m.messageType());

        // header only, no options at all: valid, nothing found
        assertTrue(m.wrap(buf(f), DHCP, DhcpMessage.MIN_LEN));
        assertEquals(-1, m.messageType());
        assertTrue(m.optionsValid());

        // a code byte right at the end, without its length
        assertTrue(m.wrap(buf(f), DHCP, DhcpMessage.MIN_LEN + 1));
        assertFalse(m.optionsValid());
    }
}
