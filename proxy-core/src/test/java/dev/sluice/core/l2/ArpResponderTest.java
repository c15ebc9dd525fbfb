package dev.sluice.core.l2;

import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;
import dev.sluice.core.wire.ArpPacket;
import dev.sluice.core.wire.EthernetFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.mac;
import static dev.sluice.core.testing.Frames.u16;
import static dev.sluice.core.testing.TestContexts.GUEST_MAC;
import static dev.sluice.core.testing.TestContexts.OUR_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpResponderTest {
    // arp.pcap: [0] kernel request for .254, [1] the kernel's reply (from 9a:55:9a:55:9a:55, our MAC),
    // [2] arping for .99, [3] arping -U announcement of .1, [4] arping -D probe for .1 from 0.0.0.0
    private final List<byte[]> frames = Pcap.frames("frames/arp.pcap");
    private final TestContexts.Env env = TestContexts.env();
    private final ArpResponder arp = new ArpResponder(env.ctx);

    @AfterEach
    void close() {
        env.close();
    }

    private void feed(byte[] f) {
        EthernetFrame eth = new EthernetFrame();
        assertTrue(eth.wrap(buf(f), 0, f.length));
        arp.onArp(eth);
    }

    private static ArpPacket.Repr parse(byte[] reply) {
        ArpPacket a = new ArpPacket();
        assertTrue(a.wrap(buf(reply), ETH, reply.length - ETH));
        return ArpPacket.Repr.parse(a);
    }

    @Test
    void answersKernelRequestExactlyAsTheKernelDid() {
        feed(frames.get(0));
        byte[] reply = env.link.only();
        assertEquals(42, reply.length);
        assertEquals(GUEST_MAC, mac(reply, 0));
        assertEquals(OUR_MAC, mac(reply, 6));
        assertEquals(0x0806, u16(reply, 12));
        assertEquals(new ArpPacket.Repr(ArpPacket.OP_REPLY, OUR_MAC, 0x0a4d00fe, GUEST_MAC, 0x0a4d0001), parse(reply));
        assertArrayEquals(Arrays.copyOf(frames.get(1), 42), reply);
        assertEquals(1, env.counter("arp.replied"));
    }

    @Test
    void answersAnyOtherAddress() {
        feed(frames.get(2));
        assertEquals(new ArpPacket.Repr(ArpPacket.OP_REPLY, OUR_MAC, 0x0a4d0063, GUEST_MAC, 0x0a4d0001),
                parse(env.link.only()));
    }

    @Test
    void ignoresAnnouncementsRepliesAndTheGuestsOwnAddress() {
        feed(frames.get(3)); // gratuitous announcement
        feed(frames.get(4)); // DAD probe for the guest's own address
        feed(frames.get(1)); // a reply
        assertEquals(0, env.link.drain().size());
        assertEquals(3, env.counter("arp.ignored"));
    }

    @Test
    void answersProbesForOtherAddresses() {
        byte[] probe = frames.get(4).clone();
        probe[ETH + 27] = (byte) 200; // 10.77.0.200
        feed(probe);
        assertEquals(new ArpPacket.Repr(ArpPacket.OP_REPLY, OUR_MAC, 0x0a4d00c8, GUEST_MAC, 0), parse(env.link.only()));
    }

    @Test
    void malformedRequestsAreCountedDrops() {
        feed(Arrays.copyOf(frames.get(0), ETH + 20));
        byte[] ieee802 = frames.get(0).clone();
        ieee802[ETH + 1] = 6;
        feed(ieee802);
        byte[] ipv6Proto = frames.get(0).clone();
        ipv6Proto[ETH + 2] = (byte) 0x86;
        ipv6Proto[ETH + 3] = (byte) 0xdd;
        feed(ipv6Proto);
        assertEquals(0, env.link.drain().size());
        assertEquals(3, env.counter("arp.bad"));
    }
}
