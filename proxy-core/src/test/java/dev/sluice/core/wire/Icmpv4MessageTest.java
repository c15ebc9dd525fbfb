package dev.sluice.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.testutil.PcapFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Frames captured with tcpdump on a veth pair between two namespaces
 * (10.77.0.1 pings 10.77.0.2 with {@code ping -p 736c75696365}; socat sends
 * "sluice-udp-probe" to the closed port 9). The UDP checksum in the captured
 * datagram is the sender's partial (offloaded) one, quoted as is by the receiver.
 */
class Icmpv4MessageTest {
    private static final int IP = EthernetFrame.HEADER_LEN;

    private static ByteBuf frame(String pcap, int i) {
        return Unpooled.wrappedBuffer(PcapFrames.read("/frames/icmp/" + pcap).get(i));
    }

    private static Icmpv4Message icmpOf(ByteBuf f, Ipv4Packet ip) {
        assertTrue(ip.wrap(f, IP, f.readableBytes() - IP));
        assertEquals(Ipv4Packet.PROTO_ICMP, ip.protocol());
        Icmpv4Message m = new Icmpv4Message();
        assertTrue(m.wrap(f, ip.payloadOffset(), ip.payloadLength()));
        return m;
    }

    @Test
    void deconstructsKernelEchoRequestAndReply() {
        Ipv4Packet ip = new Ipv4Packet();
        ByteBuf req = frame("echo4.pcap", 0);
        Icmpv4Message m = icmpOf(req, ip);
        assertEquals(Icmpv4Message.TYPE_ECHO_REQUEST, m.type());
        assertEquals(0, m.code());
        assertEquals(12319, m.echoId());
        assertEquals(1, m.echoSeq());
        assertEquals(64, m.length());
        assertEquals(56, m.payloadLength());
        assertTrue(m.isEcho());
        assertFalse(m.isError());
        assertTrue(m.verifyChecksum());
        // ping puts a timestamp first, then repeats the -p pattern
        assertTrue(req.toString(m.payloadOffset() + 16, 40, StandardCharsets.US_ASCII).contains("sluice"));

        ByteBuf rep = frame("echo4.pcap", 1);
        Icmpv4Message r = icmpOf(rep, ip);
        assertEquals(Icmpv4Message.TYPE_ECHO_REPLY, r.type());
        assertEquals(12319, r.echoId());
        assertEquals(1, r.echoSeq());
        assertTrue(r.verifyChecksum());
        assertEquals(ByteBufUtil.hexDump(req, m.payloadOffset(), 56), ByteBufUtil.hexDump(rep, r.payloadOffset(), 56));
    }

    @Test
    void constructsTheKernelsEchoReplyByteForByte() {
        ByteBuf rep = frame("echo4.pcap", 1);
        Ipv4Packet ip = new Ipv4Packet();
        Icmpv4Message r = icmpOf(rep, ip);
        byte[] expected = ByteBufUtil.getBytes(rep, r.offset(), r.length());

        ByteBuf b = Unpooled.buffer(100);
        b.setBytes(3 + Icmpv4Message.HEADER_LEN, rep, r.payloadOffset(), r.payloadLength());
        Icmpv4Message.emitEcho(b, 3, Icmpv4Message.TYPE_ECHO_REPLY, 12319, 1, r.payloadLength());
        assertArrayEquals(expected, ByteBufUtil.getBytes(b, 3, r.length()));
    }

    @Test
    void rewritingTheIdKeepsTheChecksumValid() {
        ByteBuf rep = frame("echo4.pcap", 1);
        Icmpv4Message r = icmpOf(rep, new Ipv4Packet());
        r.setEchoId(0xbeef);
        assertFalse(r.verifyChecksum());
        r.updateChecksum();
        assertTrue(r.verifyChecksum());
        assertEquals(0xbeef, r.echoId());
    }

    @Test
    void deconstructsKernelPortUnreachableQuotingTheDatagram() {
        ByteBuf udp = frame("port-unreach4.pcap", 0);
        ByteBuf err = frame("port-unreach4.pcap", 1);
        Ipv4Packet ip = new Ipv4Packet();
        Icmpv4Message m = icmpOf(err, ip);
        assertEquals(0x0a4d0002, ip.src());
        assertEquals(0x0a4d0001, ip.dst());
        assertEquals(Icmpv4Message.TYPE_DEST_UNREACHABLE, m.type());
        assertEquals(Icmpv4Message.CODE_PORT_UNREACHABLE, m.code());
        assertTrue(m.isError());
        assertEquals(0, m.rest());
        assertTrue(m.verifyChecksum());
        // the whole 44-byte datagram fits the quote
        assertEquals(44, m.payloadLength());
        assertEquals(ByteBufUtil.hexDump(udp, IP, 44), ByteBufUtil.hexDump(err, m.payloadOffset(), 44));
        Ipv4Packet quoted = new Ipv4Packet();
        assertTrue(quoted.wrap(err, m.payloadOffset(), m.payloadLength()));
        UdpDatagram q = new UdpDatagram();
        assertTrue(q.wrap(err, quoted.payloadOffset(), quoted.payloadLength()));
        assertEquals(9, q.dstPort());
        assertEquals("sluice-udp-probe", err.toString(q.payloadOffset(), q.payloadLength(), StandardCharsets.US_ASCII));
    }

    @Test
    void constructsTheKernelsPortUnreachableByteForByte() {
        ByteBuf udp = frame("port-unreach4.pcap", 0);
        ByteBuf err = frame("port-unreach4.pcap", 1);
        Icmpv4Message m = icmpOf(err, new Ipv4Packet());
        ByteBuf b = Unpooled.buffer(200);
        int quoted = Icmpv4Message.quoteLength(44);
        b.setBytes(Icmpv4Message.HEADER_LEN, udp, IP, quoted);
        Icmpv4Message.emitError(b, 0, Icmpv4Message.TYPE_DEST_UNREACHABLE, Icmpv4Message.CODE_PORT_UNREACHABLE, 0,
                quoted);
        assertArrayEquals(ByteBufUtil.getBytes(err, m.offset(), m.length()), ByteBufUtil.getBytes(b, 0, 8 + quoted));
    }

    @Test
    void fragNeededCarriesTheMtu() {
        ByteBuf b = Unpooled.buffer(64);
        Icmpv4Message.emitError(b, 0, Icmpv4Message.TYPE_DEST_UNREACHABLE, Icmpv4Message.CODE_FRAG_NEEDED, 1400, 28);
        Icmpv4Message m = new Icmpv4Message();
        assertTrue(m.wrap(b, 0, 36));
        assertEquals(1400, m.nextHopMtu());
        assertTrue(m.verifyChecksum());
    }

    @Test
    void rejectsTruncatedAndDetectsBadChecksums() {
        Icmpv4Message m = new Icmpv4Message();
        ByteBuf b = Unpooled.buffer(8).writeZero(8);
        assertFalse(m.wrap(b, 0, 7));
        assertFalse(m.wrap(b, 4, 8), "runs past the buffer");
        assertFalse(m.wrap(b, -1, 8));
        assertTrue(m.wrap(b, 0, 8));

        byte[] raw = PcapFrames.read("/frames/icmp/echo4.pcap").get(0);
        byte[] corrupt = Arrays.copyOf(raw, raw.length);
        corrupt[raw.length - 1] ^= 0x01;
        Icmpv4Message c = icmpOf(Unpooled.wrappedBuffer(corrupt), new Ipv4Packet());
        assertFalse(c.verifyChecksum());
    }

    @Test
    void quoteIsCappedAt576ByteErrors() {
        assertEquals(100, Icmpv4Message.quoteLength(100));
        assertEquals(548, Icmpv4Message.quoteLength(1500));
        assertEquals(576, Ipv4Packet.MIN_HEADER_LEN + Icmpv4Message.HEADER_LEN + Icmpv4Message.quoteLength(65535));
    }

    @Test
    void allCapturesParse() {
        List<byte[]> v6 = PcapFrames.read("/frames/icmp/echo6.pcap");
        assertEquals(2, v6.size());
        assertEquals(2, PcapFrames.read("/frames/icmp/port-unreach6.pcap").size());
    }
}
