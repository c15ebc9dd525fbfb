package dev.sluice.core.wire;

import dev.sluice.core.testing.Pcap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.buf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpPacketTest {
    private static final long GUEST = 0x525400123456L;
    private static final long ROUTER = 0x9a559a559a55L;
    private static final int IP_GUEST = 0x0a4d0001;   // 10.77.0.1
    private static final int IP_ROUTER = 0x0a4d00fe;  // 10.77.0.254

    // arp.pcap: [0] kernel request, [1] kernel reply, [2] arping unknown target,
    // [3] arping -U (announcement), [4] arping -D (probe from 0.0.0.0)
    private final List<byte[]> frames = Pcap.frames("frames/arp.pcap");

    @Test
    void deconstructKernelRequest() {
        ArpPacket a = new ArpPacket();
        byte[] f = frames.get(0);
        assertTrue(a.wrap(buf(f), ETH, f.length - ETH));
        assertTrue(a.isEthernetIpv4());
        assertEquals(1, a.hardwareType());
        assertEquals(0x0800, a.protocolType());
        assertEquals(6, a.hardwareLength());
        assertEquals(4, a.protocolLength());
        assertEquals(ArpPacket.OP_REQUEST, a.operation());
        assertEquals(GUEST, a.senderMac());
        assertEquals(IP_GUEST, a.senderIp());
        assertEquals(0, a.targetMac());
        assertEquals(IP_ROUTER, a.targetIp());
    }

    @Test
    void deconstructKernelReplyAndProbe() {
        ArpPacket a = new ArpPacket();
        byte[] reply = frames.get(1);
        assertTrue(a.wrap(buf(reply), ETH, reply.length - ETH));
        assertEquals(ArpPacket.OP_REPLY, a.operation());
        assertEquals(ROUTER, a.senderMac());
        assertEquals(IP_ROUTER, a.senderIp());
        assertEquals(GUEST, a.targetMac());
        assertEquals(IP_GUEST, a.targetIp());

        byte[] probe = frames.get(4);
        assertTrue(a.wrap(buf(probe), ETH, probe.length - ETH));
        assertEquals(0, a.senderIp());
        assertEquals(Mac.BROADCAST, a.targetMac()); // busybox arping fills the target MAC with ones
        assertEquals(IP_GUEST, a.targetIp());
    }

    @Test
    void constructMatchesKernelBytes() {
        ByteBuf out = Unpooled.buffer(ArpPacket.LEN);
        ArpPacket.emit(out, 0, ArpPacket.OP_REQUEST, GUEST, IP_GUEST, 0, IP_ROUTER);
        assertArrayEquals(Arrays.copyOfRange(frames.get(0), ETH, ETH + ArpPacket.LEN),
                ByteBufUtil.getBytes(out, 0, ArpPacket.LEN));
    }

    @Test
    void replyToKernelRequestEqualsKernelReply() {
        ArpPacket req = new ArpPacket();
        byte[] f = frames.get(0);
        assertTrue(req.wrap(buf(f), ETH, f.length - ETH));
        ByteBuf out = Unpooled.buffer(ArpPacket.LEN);
        ArpPacket.emitReply(out, 0, req, ROUTER);
        assertArrayEquals(Arrays.copyOfRange(frames.get(1), ETH, ETH + ArpPacket.LEN),
                ByteBufUtil.getBytes(out, 0, ArpPacket.LEN));
    }

    @Test
    void parseEmitRoundTripOfEveryCapturedPacket() {
        assertEquals(5, frames.size());
        ArpPacket a = new ArpPacket();
        for (byte[] f : frames) {
            assertTrue(a.wrap(buf(f), ETH, f.length - ETH));
            ArpPacket.Repr r = ArpPacket.Repr.parse(a);
            assertNotNull(r);
            ByteBuf out = Unpooled.buffer(ArpPacket.LEN);
            r.emit(out, 0);
            assertArrayEquals(Arrays.copyOfRange(f, ETH, ETH + ArpPacket.LEN), ByteBufUtil.getBytes(out, 0, ArpPacket.LEN));
        }
        assertTrue(a.wrap(buf(frames.get(3)), ETH, 28));
        ArpPacket.Repr announce = ArpPacket.Repr.parse(a);
        assertEquals(announce.senderIp(), announce.targetIp());
    }

    @Test
    void truncatedAndForeignPackets() {
        ArpPacket a = new ArpPacket();
        byte[] f = frames.get(0);
        assertFalse(a.wrap(buf(f), ETH, 27));
        assertFalse(a.wrap(buf(Arrays.copyOf(f, ETH + 20)), ETH, 28)); // claims more than the buffer has
        byte[] tokenRing = f.clone();
        tokenRing[ETH + 1] = 6;
        assertTrue(a.wrap(buf(tokenRing), ETH, 28));
        assertFalse(a.isEthernetIpv4());
        assertNull(ArpPacket.Repr.parse(a));
        byte[] longHw = f.clone();
        longHw[ETH + 4] = 8;
        assertTrue(a.wrap(buf(longHw), ETH, 28));
        assertFalse(a.isEthernetIpv4());
    }
}
