package dev.sluice.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.testing.TcpPcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpSegmentTest {
    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final TcpSegment tcp = new TcpSegment();

    /** Wraps the TCP segment of a captured frame and returns its pseudo-header sum. */
    private long wrapFrame(ByteBuf f) {
        int type = f.getUnsignedShort(EthernetFrame.ETHERTYPE);
        if (type == EthernetFrame.TYPE_IPV4) {
            assertTrue(ip4.wrap(f, 14, f.capacity() - 14));
            assertEquals(Ipv4Packet.PROTO_TCP, ip4.protocol());
            assertTrue(tcp.wrap(f, ip4.payloadOffset(), ip4.payloadLength()));
            return ip4.pseudoHeaderSum();
        }
        assertEquals(EthernetFrame.TYPE_IPV6, type);
        assertTrue(ip6.wrap(f, 14, f.capacity() - 14));
        assertEquals(Ipv6Packet.NH_TCP, ip6.upperLayer());
        assertTrue(tcp.wrap(f, ip6.upperLayerOffset(), ip6.upperLayerLength()));
        return ip6.pseudoHeaderSum();
    }

    @Test
    void deconstructsLinuxSynWithAllOptions() {
        ByteBuf f = Unpooled.wrappedBuffer(TcpPcap.frames("/frames/tcp/linux-v4.pcap").get(0));
        long pseudo = wrapFrame(f);
        assertTrue(tcp.verifyChecksum(pseudo));
        assertEquals(49556, tcp.srcPort());
        assertEquals(5001, tcp.dstPort());
        assertEquals(652342000, tcp.seq());
        assertEquals(0, tcp.ack());
        assertEquals(TcpSegment.SYN, tcp.flags());
        assertTrue(tcp.syn());
        assertFalse(tcp.hasAck());
        assertEquals(64240, tcp.window());
        assertEquals(40, tcp.headerLength());
        assertEquals(0, tcp.payloadLength());
        assertEquals(1, tcp.sequenceLength());
        assertEquals(1460, tcp.mss());
        assertEquals(10, tcp.windowScale());
        assertTrue(tcp.sackPermitted());
        assertTrue(tcp.hasTimestamps());
        assertEquals(319294644, tcp.tsVal());
        assertEquals(0, tcp.tsEcr());
        assertEquals(0, tcp.urgentPointer());

        // iteration sees Linux's layout: MSS, SACK-permitted, timestamps, NOP, window scale
        List<Integer> kinds = new ArrayList<>();
        for (int p = tcp.firstOption(); p >= 0; p = tcp.nextOption(p)) {
            kinds.add(tcp.optionKind(p));
        }
        assertEquals(List.of(2, 4, 8, 1, 3), kinds);
    }

    @Test
    void deconstructsSynAckDataFinAndRefusal() {
        List<byte[]> frames = TcpPcap.frames("/frames/tcp/linux-v4.pcap");
        ByteBuf synAck = Unpooled.wrappedBuffer(frames.get(1));
        assertTrue(tcp.verifyChecksum(wrapFrame(synAck)));
        assertEquals(TcpSegment.SYN | TcpSegment.ACK_FLAG, tcp.flags());
        assertEquals(1730468570, tcp.seq());
        assertEquals(652342001, tcp.ack());
        assertEquals(438064968, tcp.tsVal());
        assertEquals(319294644, tcp.tsEcr());

        ByteBuf data = Unpooled.wrappedBuffer(frames.get(3));
        assertTrue(tcp.verifyChecksum(wrapFrame(data)));
        assertEquals(TcpSegment.PSH | TcpSegment.ACK_FLAG, tcp.flags());
        assertEquals(652342001, tcp.seq());
        assertEquals(1730468571, tcp.ack());
        assertEquals(63, tcp.window());
        assertEquals(32, tcp.headerLength());
        assertEquals(-1, tcp.mss());
        assertEquals(-1, tcp.windowScale());
        assertFalse(tcp.sackPermitted());
        assertEquals("hello sluice\n", data.toString(tcp.payloadOffset(), tcp.payloadLength(), StandardCharsets.US_ASCII));
        assertEquals(13, tcp.sequenceLength());

        ByteBuf fin = Unpooled.wrappedBuffer(frames.get(5));
        assertTrue(tcp.verifyChecksum(wrapFrame(fin)));
        assertTrue(tcp.fin());
        assertEquals(652342014, tcp.seq());
        assertEquals(1, tcp.sequenceLength());

        ByteBuf refused = Unpooled.wrappedBuffer(frames.get(9));
        assertTrue(tcp.verifyChecksum(wrapFrame(refused)));
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, tcp.flags());
        assertEquals(0, tcp.seq());
        assertEquals(829510032, tcp.ack()); // the refused SYN's ISN + 1
        assertEquals(0, tcp.window());
        assertEquals(20, tcp.headerLength());
        assertEquals(-1, tcp.firstOption());
    }

    @Test
    void everyCapturedSegmentChecksOutV4AndV6() {
        for (String r : List.of("/frames/tcp/linux-v4.pcap", "/frames/tcp/linux-v6.pcap", "/frames/tcp/linux-v4-abort.pcap")) {
            for (byte[] frame : TcpPcap.frames(r)) {
                ByteBuf f = Unpooled.wrappedBuffer(frame);
                assertTrue(tcp.verifyChecksum(wrapFrame(f)), r);
                f.setByte(tcp.offset() + TcpSegment.WINDOW, f.getByte(tcp.offset() + TcpSegment.WINDOW) ^ 1);
                assertFalse(tcp.verifyChecksum(wrapFrame(f)), r);
            }
        }
    }

    @Test
    void deconstructsV6SynAndRefusal() {
        List<byte[]> frames = TcpPcap.frames("/frames/tcp/linux-v6.pcap");
        ByteBuf syn = Unpooled.wrappedBuffer(frames.get(0));
        assertTrue(tcp.verifyChecksum(wrapFrame(syn)));
        assertEquals(560601588, tcp.seq());
        assertEquals(1440, tcp.mss());
        assertEquals(10, tcp.windowScale());
        assertEquals(64800, tcp.window());
        ByteBuf rst = Unpooled.wrappedBuffer(frames.get(9));
        assertTrue(tcp.verifyChecksum(wrapFrame(rst)));
        assertEquals(TcpSegment.RST | TcpSegment.ACK_FLAG, tcp.flags());
        assertEquals(3818488376L, tcp.ack() & 0xffffffffL);
    }

    @Test
    void abortiveCloseAndFullSizedSegments() {
        List<byte[]> frames = TcpPcap.frames("/frames/tcp/linux-v4-abort.pcap");
        int total = 0;
        for (int i = 3; i <= 5; i++) {
            wrapFrame(Unpooled.wrappedBuffer(frames.get(i)));
            total += tcp.payloadLength();
        }
        assertEquals(3000, total);
        wrapFrame(Unpooled.wrappedBuffer(frames.get(3)));
        assertEquals(1448, tcp.payloadLength());
        wrapFrame(Unpooled.wrappedBuffer(frames.get(frames.size() - 1)));
        assertTrue(tcp.rst());
        assertTrue(tcp.hasAck());
    }

    /** smoltcp's template: parse real bytes to a value, emit the value, compare byte for byte. */
    @Test
    void reprRoundTripsEveryCapturedHeader() {
        for (String r : List.of("/frames/tcp/linux-v4.pcap", "/frames/tcp/linux-v6.pcap", "/frames/tcp/linux-v4-abort.pcap")) {
            for (byte[] frame : TcpPcap.frames(r)) {
                ByteBuf f = Unpooled.wrappedBuffer(frame);
                long pseudo = wrapFrame(f);
                TcpSegment.Repr repr = TcpSegment.Repr.parse(tcp);
                int off = tcp.offset();
                int segLen = tcp.length();
                // emit writes the header in front of a payload already in place
                ByteBuf built = Unpooled.buffer(segLen);
                built.setBytes(repr.headerLength(), f, tcp.payloadOffset(), tcp.payloadLength());
                int hl = repr.emit(built, 0, pseudo);
                assertEquals(tcp.headerLength(), hl, r);
                byte[] expect = new byte[segLen];
                f.getBytes(off, expect);
                byte[] got = new byte[segLen];
                built.getBytes(0, got);
                assertArrayEquals(expect, got, r);
            }
        }
    }

    @Test
    void buildsSynAckWithSluiceOptions() {
        ByteBuf b = Unpooled.buffer(64);
        TcpSegment.emitHeader(b, 0, 80, 40000, 1000, 2001, 28, TcpSegment.SYN | TcpSegment.ACK_FLAG, 65535);
        int p = TcpSegment.emitMss(b, TcpSegment.HEADER_LEN, 65480);
        p = TcpSegment.emitWindowScale(b, p, 7);
        assertEquals(28, p);
        long pseudo = Checksum.pseudoV4(0x0a000001, 0x0a000002, 6, 28);
        TcpSegment.fillChecksum(b, 0, 28, pseudo);
        assertTrue(tcp.wrap(b, 0, 28));
        assertTrue(tcp.verifyChecksum(pseudo));
        assertEquals(65480, tcp.mss());
        assertEquals(7, tcp.windowScale());
        assertEquals(1000, tcp.seq());
        assertEquals(2001, tcp.ack());
        assertEquals(65535, tcp.window());
    }

    // ---- hand-built edge cases ----

    private static ByteBuf header(int dataOffWords, byte... options) {
        int hl = Math.max(20, dataOffWords * 4);
        ByteBuf b = Unpooled.buffer(Math.max(hl, 20 + options.length));
        b.writerIndex(b.capacity());
        TcpSegment.emitHeader(b, 0, 1, 2, 3, 4, 20, TcpSegment.ACK_FLAG, 5);
        b.setByte(TcpSegment.DATA_OFF, dataOffWords << 4);
        b.setBytes(20, options);
        return b;
    }

    @Test
    void rejectsTruncatedAndBadDataOffsets() {
        ByteBuf b = header(5);
        assertTrue(tcp.wrap(b, 0, 20));
        assertFalse(tcp.wrap(b, 0, 19));
        assertFalse(tcp.wrap(header(4), 0, 20));
        ByteBuf six = header(6, (byte) 1, (byte) 1, (byte) 1, (byte) 1);
        assertTrue(tcp.wrap(six, 0, 24));
        assertFalse(tcp.wrap(six, 0, 23)); // data offset beyond the segment
        assertFalse(tcp.wrap(b, 10, 20));  // beyond the buffer
    }

    @Test
    void rejectsBadOptionLengths() {
        // length 0 and 1 would loop or overlap the kind byte
        assertFalse(tcp.wrap(header(6, (byte) 30, (byte) 0, (byte) 0, (byte) 0), 0, 24));
        assertFalse(tcp.wrap(header(6, (byte) 30, (byte) 1, (byte) 0, (byte) 0), 0, 24));
        // runs past the header
        assertFalse(tcp.wrap(header(6, (byte) 30, (byte) 5, (byte) 0, (byte) 0), 0, 24));
        // kind byte with no room for the length byte
        assertFalse(tcp.wrap(header(6, (byte) 1, (byte) 1, (byte) 1, (byte) 2), 0, 24));
        // known options with the wrong fixed length
        assertFalse(tcp.wrap(header(6, (byte) 2, (byte) 3, (byte) 5, (byte) 0), 0, 24));
        assertFalse(tcp.wrap(header(6, (byte) 3, (byte) 4, (byte) 7, (byte) 0), 0, 24));
        assertFalse(tcp.wrap(header(6, (byte) 4, (byte) 3, (byte) 0, (byte) 0), 0, 24));
        assertFalse(tcp.wrap(header(7, (byte) 8, (byte) 8, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0), 0, 28));
        // an unknown option of a sane length is fine
        assertTrue(tcp.wrap(header(6, (byte) 30, (byte) 4, (byte) 9, (byte) 9), 0, 24));
    }

    @Test
    void eolEndsTheOptionsAndPaddingIsIgnored() {
        ByteBuf b = header(7, (byte) 3, (byte) 3, (byte) 20, (byte) 0, (byte) 2, (byte) 0, (byte) 0, (byte) 0);
        assertTrue(tcp.wrap(b, 0, 28));
        assertEquals(14, tcp.windowScale()); // shift clamped to 14
        assertEquals(-1, tcp.mss());         // after EOL: not parsed
        int p = tcp.firstOption();
        assertEquals(TcpSegment.OPT_WSCALE, tcp.optionKind(p));
        assertEquals(3, tcp.optionLength(p));
        p = tcp.nextOption(p);
        assertEquals(TcpSegment.OPT_EOL, tcp.optionKind(p));
        assertEquals(-1, tcp.nextOption(p));
    }

    @Test
    void rewrapResetsParsedOptions() {
        ByteBuf syn = Unpooled.wrappedBuffer(TcpPcap.frames("/frames/tcp/linux-v4.pcap").get(0));
        wrapFrame(syn);
        assertEquals(1460, tcp.mss());
        assertTrue(tcp.wrap(header(5), 0, 20));
        assertEquals(-1, tcp.mss());
        assertEquals(-1, tcp.windowScale());
        assertFalse(tcp.sackPermitted());
        assertFalse(tcp.hasTimestamps());
    }
}
