package dev.sluice.core.wire;

import dev.sluice.core.testing.Pcap;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.from;
import static dev.sluice.core.testing.Frames.icmp6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Icmpv6MessageTest {
    private static final long GUEST = 0x525400123456L;

    @Test
    void deconstructKernelEchoRequest() {
        byte[] f = Pcap.first("frames/l4.pcap", icmp6(128).and(from(GUEST)));
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(buf(f), ETH, f.length - ETH));
        Icmpv6Message m = new Icmpv6Message();
        assertTrue(m.wrap(ip.buffer(), ip.upperLayerOffset(), ip.upperLayerLength()));
        assertEquals(Icmpv6Message.TYPE_ECHO_REQUEST, m.type());
        assertEquals(0, m.code());
        assertEquals(64, m.length());
        assertFalse(m.isNdp());
        assertFalse(m.isMld());
        assertTrue(m.verifyChecksum(ip.pseudoHeaderSum()));
        assertEquals(new Icmpv6Message.Repr(128, 0, true), Icmpv6Message.Repr.parse(m, ip.pseudoHeaderSum()));
    }

    @Test
    void mldReportBehindHopByHopHeader() {
        byte[] f = Pcap.first("frames/ndp-linkup.pcap", x -> Frames6.nextHeader(x) == 0 && from(GUEST).test(x));
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(buf(f), ETH, f.length - ETH));
        assertEquals(Ipv6Packet.NH_ICMPV6, ip.upperLayer());
        Icmpv6Message m = new Icmpv6Message();
        assertTrue(m.wrap(ip.buffer(), ip.upperLayerOffset(), ip.upperLayerLength()));
        assertEquals(Icmpv6Message.TYPE_MLD2_REPORT, m.type());
        assertTrue(m.isMld());
        assertTrue(m.verifyChecksum(ip.pseudoHeaderSum()));
    }

    @Test
    void constructChecksumEqualsKernel() {
        for (String cap : new String[] {"frames/l4.pcap", "frames/ndp.pcap", "frames/ndp-linkup.pcap"}) {
            for (byte[] f : Pcap.frames(cap)) {
                if (Frames6.etherType(f) != 0x86dd || f[ETH + 6] != 58) {
                    continue;
                }
                byte[] copy = f.clone();
                ByteBuf b = buf(copy);
                int len = f.length - IP6_L4;
                Icmpv6Message.emitHeader(b, IP6_L4, copy[IP6_L4] & 0xff, copy[IP6_L4 + 1] & 0xff);
                Icmpv6Message.fillChecksum(b, ETH, IP6_L4, len);
                assertArrayEquals(f, copy, cap);
            }
        }
    }

    @Test
    void badChecksumAndTruncation() {
        byte[] f = Pcap.first("frames/l4.pcap", icmp6(128).and(from(GUEST))).clone();
        f[f.length - 1] ^= 0x40;
        Ipv6Packet ip = new Ipv6Packet();
        assertTrue(ip.wrap(buf(f), ETH, f.length - ETH));
        Icmpv6Message m = new Icmpv6Message();
        assertTrue(m.wrap(ip.buffer(), ip.upperLayerOffset(), ip.upperLayerLength()));
        assertFalse(m.verifyChecksum(ip.pseudoHeaderSum()));
        assertFalse(m.wrap(ip.buffer(), ip.upperLayerOffset(), 3));
        assertFalse(m.wrap(ip.buffer(), f.length - 2, 4));
    }

    /** Raw field access for picking frames. */
    static final class Frames6 {
        static int etherType(byte[] f) {
            return ((f[12] & 0xff) << 8) | (f[13] & 0xff);
        }

        static int nextHeader(byte[] f) {
            return etherType(f) == 0x86dd ? f[ETH + 6] & 0xff : -1;
        }
    }
}
