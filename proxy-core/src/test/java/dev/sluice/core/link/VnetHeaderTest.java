package dev.sluice.core.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The header sendOffloaded asks the guest's kernel with; TapOffloadIT has the kernel accept it. */
class VnetHeaderTest {

    private static ByteBuf frame(int etherType, int l3Len, int payload) {
        ByteBuf f = Unpooled.buffer(2 + 14 + l3Len + 20 + payload);
        f.writeShort(0xeeee).readerIndex(2); // headroom before the frame must not matter
        f.writeZero(12).writeShort(etherType);
        return f;
    }

    @Test
    void tcpV4SuperFrameWithOptionsInTheIpHeader() {
        ByteBuf f = frame(0x0800, 24, 3000);
        f.writeByte(0x46).writeZero(8).writeByte(6).writeZero(14); // IHL 6: 24 bytes
        f.writeZero(12).writeByte(8 << 4).writeZero(7 + 12).writeZero(3000); // TCP, data offset 8: 32 bytes
        ByteBuf h = Unpooled.buffer(10);
        assertTrue(VnetHeader.writeOffloaded(h, 0, f, 1448));
        assertEquals(VnetHeader.F_NEEDS_CSUM, h.getByte(0));
        assertEquals(VnetHeader.GSO_TCPV4, h.getByte(1));
        assertEquals(14 + 24 + 32, h.getShortLE(2)); // hdr_len
        assertEquals(1448, h.getShortLE(4));
        assertEquals(14 + 24, h.getShortLE(6)); // csum_start, from the frame's first byte
        assertEquals(16, h.getShortLE(8));
    }

    @Test
    void aSegmentThatFitsIsNotGso() {
        ByteBuf f = frame(0x0800, 20, 1000);
        f.writeByte(0x45).writeZero(8).writeByte(6).writeZero(10);
        f.writeZero(12).writeByte(5 << 4).writeZero(7).writeZero(1000);
        ByteBuf h = Unpooled.buffer(10);
        assertTrue(VnetHeader.writeOffloaded(h, 0, f, 1448));
        assertEquals(VnetHeader.GSO_NONE, h.getByte(1));
        assertEquals(0, h.getShortLE(4));
    }

    @Test
    void udpV6BehindAHopByHopHeader() {
        ByteBuf f = frame(0x86dd, 48, 100);
        f.writeZero(6).writeByte(0).writeZero(33); // next header: hop-by-hop
        f.writeByte(17).writeByte(0).writeZero(6); // hop-by-hop, 8 bytes, then UDP
        f.writeZero(20 + 100);
        ByteBuf h = Unpooled.buffer(10);
        assertTrue(VnetHeader.writeOffloaded(h, 0, f, 1400));
        assertEquals(VnetHeader.GSO_NONE, h.getByte(1), "UDP is never segmented");
        assertEquals(14 + 48, h.getShortLE(6));
        assertEquals(6, h.getShortLE(8));
    }

    @Test
    void notTcpOrUdpIsRefused() {
        ByteBuf f = frame(0x0800, 20, 0);
        f.writeByte(0x45).writeZero(8).writeByte(1).writeZero(10).writeZero(20); // ICMP
        assertFalse(VnetHeader.writeOffloaded(Unpooled.buffer(10), 0, f, 0));
        ByteBuf arp = frame(0x0806, 28, 0);
        arp.writeZero(48);
        assertFalse(VnetHeader.writeOffloaded(Unpooled.buffer(10), 0, arp, 0));
    }
}
