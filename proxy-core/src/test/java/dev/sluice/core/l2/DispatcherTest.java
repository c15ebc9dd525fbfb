package dev.sluice.core.l2;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.Dhcpv6Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.sluice.core.testing.Frames.ETH;
import static dev.sluice.core.testing.Frames.IP6_L4;
import static dev.sluice.core.testing.Frames.arp;
import static dev.sluice.core.testing.Frames.buf;
import static dev.sluice.core.testing.Frames.dhcp4;
import static dev.sluice.core.testing.Frames.dhcp6;
import static dev.sluice.core.testing.Frames.from;
import static dev.sluice.core.testing.Frames.icmp6;
import static dev.sluice.core.testing.Frames.u16;
import static dev.sluice.core.testing.Frames.u8;
import static dev.sluice.core.testing.TestContexts.GUEST_MAC;
import static dev.sluice.core.testing.TestContexts.OUR_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DispatcherTest {
    private TestContexts.Env env = TestContexts.env();
    private Dispatcher d = new Dispatcher(env.ctx);
    private final Recorder tcp = new Recorder();
    private final Recorder udp = new Recorder();
    private final Recorder icmp4 = new Recorder();
    private final Recorder icmp6h = new Recorder();

    @AfterEach
    void close() {
        d.ndp().close();
        env.close();
    }

    private void handlers() {
        d.setTcp(tcp);
        d.setUdp(udp);
        d.setIcmp4(icmp4);
        d.setIcmp6(icmp6h);
    }

    private void reconfigure(GuestConfig cfg) {
        close();
        env = TestContexts.env(cfg);
        d = new Dispatcher(env.ctx);
    }

    /** Feeds a frame at a non-zero reader index inside a bigger buffer, as a link with framing would. */
    private void feed(byte[] f) {
        ByteBuf b = Unpooled.buffer(f.length + 10);
        b.writeZero(4);
        b.writeBytes(f);
        b.writeZero(6);
        b.readerIndex(4);
        b.writerIndex(4 + f.length);
        d.onFrame(b);
    }

    record Call(int ipOff, boolean ipv6, int l4Off, int l4Len, int firstByte) {
    }

    static final class Recorder implements L4Handler {
        final List<Call> calls = new ArrayList<>();

        @Override
        public void onPacket(ByteBuf frame, int ipOff, boolean ipv6, int l4Off, int l4Len) {
            calls.add(new Call(ipOff, ipv6, l4Off, l4Len, frame.getUnsignedByte(l4Off)));
        }

        Call only() {
            assertEquals(1, calls.size(), "calls: " + calls);
            Call c = calls.get(0);
            calls.clear();
            return c;
        }
    }

    private static List<byte[]> l4() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] f : Pcap.frames("frames/l4.pcap")) {
            if (from(GUEST_MAC).test(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static byte[] ipv4(int proto, boolean fragment) {
        for (byte[] f : l4()) {
            if (u16(f, 12) == 0x0800 && u8(f, ETH + 9) == proto
                    && fragment == ((u16(f, ETH + 6) & 0x3fff) != 0)) {
                return f;
            }
        }
        throw new AssertionError("no such frame");
    }

    private static byte[] ipv6(int nh) {
        for (byte[] f : l4()) {
            if (u16(f, 12) == 0x86dd && u8(f, ETH + 6) == nh && (nh != 58 || u8(f, IP6_L4) == 128)) {
                return f;
            }
        }
        throw new AssertionError("no such frame");
    }

    @Test
    void routesIpv4ToTheL4Handlers() {
        handlers();
        feed(ipv4(1, false));
        assertEquals(new Call(4 + ETH, false, 4 + ETH + 20, 64, 8), icmp4.only());      // echo request
        feed(ipv4(6, false));
        Call syn = tcp.only();
        assertEquals(new Call(4 + ETH, false, 4 + ETH + 20, 40, syn.firstByte()), syn);
        feed(ipv4(17, false));
        Call u = udp.only();
        assertEquals(14, u.l4Len());                                                     // "hello\n" + 8
        assertEquals(0, env.ctx.counters().snapshot().size(), env.ctx.counters().snapshot().toString());
    }

    @Test
    void routesIpv6ToTheL4Handlers() {
        handlers();
        feed(ipv6(58));
        assertEquals(new Call(4 + ETH, true, 4 + IP6_L4, 64, 128), icmp6h.only());
        feed(ipv6(6));
        assertEquals(40, tcp.only().l4Len());
        feed(ipv6(17));
        assertEquals(14, udp.only().l4Len());
        assertTrue(env.ctx.counters().snapshot().isEmpty());
    }

    @Test
    void missingHandlersAreCounted() {
        feed(ipv4(6, false));
        feed(ipv6(17));
        feed(ipv6(58));
        assertEquals(3, env.counter("l4.unhandled"));
    }

    @Test
    void fragmentsAreCountedDrops() {
        handlers();
        int v4 = 0;
        int v6 = 0;
        for (byte[] f : l4()) {
            if (u16(f, 12) == 0x0800 && (u16(f, ETH + 6) & 0x3fff) != 0) {
                feed(f);
                v4++;
            } else if (u16(f, 12) == 0x86dd && u8(f, ETH + 6) == 44) {
                feed(f);
                v6++;
            }
        }
        assertEquals(2, v4);
        assertEquals(2, v6);
        assertEquals(2, env.counter("ip4.fragment_dropped"));
        assertEquals(2, env.counter("ip6.fragment_dropped"));
        assertEquals(0, icmp4.calls.size() + icmp6h.calls.size());
    }

    @Test
    void badIpv4HeadersAreCountedDrops() {
        handlers();
        byte[] sum = ipv4(1, false).clone();
        sum[ETH + 8] = 1;                               // TTL changed, header checksum stale
        feed(sum);
        byte[] version = ipv4(1, false).clone();
        version[ETH] = 0x55;
        feed(version);
        byte[] total = ipv4(1, false).clone();
        total[ETH + 2] = 0x10;                          // total length beyond the frame
        feed(total);
        feed(Arrays.copyOf(ipv4(1, false), ETH + 19));
        assertEquals(1, env.counter("ip4.bad_checksum"));
        assertEquals(3, env.counter("ip4.bad"));
        assertEquals(0, icmp4.calls.size());
    }

    @Test
    void vlanTaggedFramesAreDropped() {
        byte[] req = Pcap.first("frames/arp.pcap", arp(1));
        for (int tpid : new int[] {0x8100, 0x88a8}) {
            byte[] tagged = new byte[req.length + 4];
            System.arraycopy(req, 0, tagged, 0, 12);
            tagged[12] = (byte) (tpid >>> 8);
            tagged[13] = (byte) tpid;
            tagged[15] = 5;                             // VLAN 5
            System.arraycopy(req, 12, tagged, 16, req.length - 12);
            feed(tagged);
        }
        assertEquals(0, env.link.drain().size());
        assertEquals(2, env.counter("eth.vlan_dropped"));
    }

    @Test
    void learnsTheGuestMacUnlessFixed() {
        assertEquals(0, env.ctx.guestState().mac());
        feed(Pcap.first("frames/arp.pcap", arp(1)));
        assertEquals(GUEST_MAC, env.ctx.guestState().mac());
        assertEquals(1, env.link.drain().size());

        GuestConfig c = TestContexts.config();
        reconfigure(new GuestConfig(c.ourMac(), 0x020000000001L, c.mtu(), true, c.addr4(), 24, c.gw4(), c.dns4(),
                true, c.addr6(), 64, c.gw6(), c.routerLl6(), c.dns6(), c.search(), true, true, true, true));
        feed(Pcap.first("frames/arp.pcap", arp(1)));
        assertEquals(0x020000000001L, env.ctx.guestState().mac());
        assertEquals(0, env.link.drain().size(), "-M: frames from any other MAC are dropped");
        assertEquals(1, env.counter("eth.foreign_mac"));
    }

    @Test
    void aNewSourceIsAdoptedOnlyAfterTheLearnedOneFellSilent() throws Exception {
        d.relearnAfterSilenceNs = 50_000_000L;
        byte[] req = Pcap.first("frames/arp.pcap", arp(1));
        byte[] other = withSource(req, 0x020000000060L);
        feed(req);
        feed(other);                                    // starts the silence window
        Thread.sleep(80);
        feed(req);                                      // the guest spoke: not silent
        feed(other);
        assertEquals(GUEST_MAC, env.ctx.guestState().mac());
        feed(other);                                    // within the window: dropped
        assertEquals(3, env.counter("eth.foreign_mac"));
        Thread.sleep(80);
        feed(other);                                    // a whole window with no frame from the guest
        assertEquals(0x020000000060L, env.ctx.guestState().mac(), "the tap's MAC was changed: adopted");
        assertEquals(3, env.counter("eth.foreign_mac"), "the adopted frame is not counted as foreign");
    }

    /** {@code f} with its Ethernet source replaced by {@code mac}. */
    private static byte[] withSource(byte[] f, long mac) {
        byte[] c = f.clone();
        for (int i = 0; i < 6; i++) {
            c[6 + i] = (byte) (mac >>> (40 - 8 * i));
        }
        return c;
    }

    @Test
    void theGuestMacIsLearnedOnceAndFramesFromOthersAreDropped() {
        byte[] req = Pcap.first("frames/arp.pcap", arp(1));
        feed(req);
        assertEquals(GUEST_MAC, env.ctx.guestState().mac());
        for (int i = 0; i < 100; i++) {
            feed(withSource(req, 0x020000000060L + (i % 3)));
        }
        assertEquals(GUEST_MAC, env.ctx.guestState().mac(), "a spoofed source is never taken as the guest");
        assertEquals(1, env.link.drain().size(), "only the guest's request is answered");
        assertEquals(100, env.counter("eth.foreign_mac"));
        feed(withSource(req, 0));
        feed(withSource(req, 0x030000000001L));
        feed(withSource(req, OUR_MAC));
        assertEquals(103, env.counter("eth.foreign_mac"), "zero, multicast and our own source: dropped");
        feed(req);
        assertEquals(1, env.link.drain().size());
    }

    @Test
    void aReconnectedLinkLearnsTheNextGuestsMac() {
        byte[] req = Pcap.first("frames/arp.pcap", arp(1));
        feed(req);
        d.onLinkDown();                                 // QEMU restarted with another MAC
        feed(withSource(req, 0x020000000060L));
        assertEquals(0x020000000060L, env.ctx.guestState().mac(), "the new guest's MAC");
        feed(req);
        assertEquals(0x020000000060L, env.ctx.guestState().mac(), "and only it from then on");
        assertEquals(1, env.counter("eth.foreign_mac"));
        assertEquals(2, env.link.drain().size(), "one answer to each guest, none to the old MAC after");
    }

    @Test
    void theFrameGateIsAskedFirstAndRefusedFramesAreNeverLearnedFrom() {
        List<Long> asked = new ArrayList<>();
        // What guest-addr's mac=enforce does: while the MAC is unknown any unicast source may
        // become it; once known, only it passes.
        d.setFrameFilter(mac -> {
            asked.add(mac);
            long known = env.ctx.guestState().mac();
            return known == 0 ? mac != 0 && (mac >>> 40 & 1) == 0 : mac == known;
        });
        byte[] req = Pcap.first("frames/arp.pcap", arp(1));
        feed(withSource(req, 0x030000000001L));        // multicast source: refused, not learned
        assertEquals(0, env.ctx.guestState().mac());
        feed(req);                                      // the first acceptable frame: learned
        assertEquals(GUEST_MAC, env.ctx.guestState().mac());
        assertEquals(1, env.link.drain().size());
        feed(withSource(req, 0x020000000060L));         // another MAC: dropped before ARP and learning
        assertEquals(GUEST_MAC, env.ctx.guestState().mac(), "still the first MAC, not the latest");
        assertEquals(0, env.link.drain().size());
        byte[] tagged = new byte[req.length + 4];       // asked even before the VLAN check
        System.arraycopy(withSource(req, 0x020000000060L), 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        System.arraycopy(req, 12, tagged, 16, req.length - 12);
        feed(tagged);
        feed(new byte[13]);                             // too short to have a source: never asked
        assertEquals(List.of(0x030000000001L, GUEST_MAC, 0x020000000060L, 0x020000000060L), asked);
        assertEquals(3, env.counter("eth.filtered"));
        assertEquals(0, env.counter("eth.vlan_dropped"));
        assertEquals(1, env.counter("eth.bad"));
        feed(req);
        assertEquals(1, env.link.drain().size(), "the guest's own MAC still gets answers");

        d.setFrameFilter(null);
        feed(withSource(req, 0x020000000060L));
        assertEquals(GUEST_MAC, env.ctx.guestState().mac(), "no gate: still learned once");
        assertEquals(1, env.counter("eth.foreign_mac"));
    }

    @Test
    void framesForOtherMacsAndUnknownTypesAreDropped() {
        handlers();
        byte[] other = ipv4(1, false).clone();
        other[5] = 0x77;                                // to 9a:55:9a:55:9a:77
        feed(other);
        byte[] lldp = Pcap.first("frames/arp.pcap", arp(1)).clone();
        lldp[12] = (byte) 0x88;
        lldp[13] = (byte) 0xcc;
        feed(lldp);
        feed(new byte[13]);
        assertEquals(1, env.counter("eth.not_for_us"));
        assertEquals(1, env.counter("eth.unknown_type"));
        assertEquals(1, env.counter("eth.bad"));
        assertEquals(0, icmp4.calls.size());
    }

    @Test
    void servicesAreReachedThroughTheDispatcher() {
        feed(Pcap.first("frames/arp.pcap", arp(1)));
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        feed(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.SOLICIT)));
        feed(Pcap.first("frames/ndp.pcap", icmp6(135)));
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        List<byte[]> out = env.link.drain();
        assertEquals(5, out.size());
        assertEquals(0x0806, u16(out.get(0), 12));
        assertEquals(DhcpMessage.DHCPOFFER, DhcpServerTest.parse(out.get(1)).msg().messageType());
        int xid = Dhcpv6ServerTest.repr(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.SOLICIT)))
                .transactionId();
        Dhcpv6ServerTest.parse(out.get(2), Dhcpv6Message.ADVERTISE, xid);
        assertEquals(136, u8(out.get(3), IP6_L4));
        assertEquals(134, u8(out.get(4), IP6_L4));
    }

    @Test
    void linkUpAndDownReachTheRouterAdvertisements() {
        d.onLinkUp();
        assertEquals(134, u8(env.link.only(), IP6_L4));
        d.onLinkDown();
        env.advanceSeconds(600);
        assertEquals(0, env.link.drain().size());
    }

    @Test
    void mldAndMulticastAreDropped() {
        handlers();
        for (byte[] f : Pcap.frames("frames/ndp-linkup.pcap")) {
            if (from(GUEST_MAC).test(f) && u8(f, ETH + 6) == 0) { // MLDv2 reports behind hop-by-hop
                feed(f);
            }
        }
        assertTrue(env.counter("icmp6.mld_ignored") >= 2);

        byte[] mcast = ipv6(17).clone();                 // UDP to ff02::fb (mDNS)
        ByteBuf b = buf(mcast);
        b.setLong(ETH + 24, 0xff02_0000_0000_0000L);
        b.setLong(ETH + 32, 0xfb);
        feed(mcast);
        byte[] bcast = ipv4(17, false).clone();          // UDP to 255.255.255.255
        ByteBuf c = buf(bcast);
        c.setInt(ETH + 16, -1);
        c.setShort(ETH + 10, 0);
        c.setShort(ETH + 10, Checksum.compute(c, ETH, 20));
        feed(bcast);
        byte[] directed = bcast.clone();                 // to 10.77.0.255
        ByteBuf e = buf(directed);
        e.setInt(ETH + 16, 0x0a4d00ff);
        e.setShort(ETH + 10, 0);
        e.setShort(ETH + 10, Checksum.compute(e, ETH, 20));
        feed(directed);
        assertEquals(1, env.counter("ip6.multicast_dropped"));
        assertEquals(2, env.counter("ip4.broadcast_dropped"));
        assertEquals(0, udp.calls.size() + icmp6h.calls.size());
    }

    @Test
    void disabledServicesAndFamilies() {
        GuestConfig c = TestContexts.config();
        reconfigure(new GuestConfig(c.ourMac(), 0, c.mtu(), true, c.addr4(), 24, c.gw4(), c.dns4(),
                true, c.addr6(), 64, c.gw6(), c.routerLl6(), c.dns6(), c.search(), false, false, false, true));
        handlers();
        feed(Pcap.first("frames/dhcp4-udhcpc.pcap", dhcp4(DhcpMessage.DHCPDISCOVER)));
        feed(Pcap.first("frames/dhcp6-dhclient.pcap", dhcp6(Dhcpv6Message.SOLICIT)));
        feed(Pcap.first("frames/ndp.pcap", icmp6(135)));
        d.onLinkUp();
        assertEquals(0, env.link.drain().size());
        assertEquals(1, env.counter("dhcp.disabled"));
        assertEquals(1, env.counter("dhcpv6.disabled"));
        assertEquals(1, env.counter("ndp.disabled"));
        assertEquals(0, udp.calls.size());

        reconfigure(new GuestConfig(c.ourMac(), 0, c.mtu(), false, null, 0, null, List.of(),
                false, null, 0, null, null, List.of(), List.of(), true, true, true, true));
        handlers();
        feed(Pcap.first("frames/arp.pcap", arp(1)));
        feed(ipv4(1, false));
        feed(ipv6(58));
        feed(Pcap.first("frames/ndp.pcap", icmp6(133)));
        d.onLinkUp();
        assertEquals(0, env.link.drain().size());
        assertEquals(2, env.counter("ip4.disabled"));
        assertEquals(2, env.counter("ip6.disabled"));
        assertEquals(0, icmp4.calls.size() + icmp6h.calls.size());
    }

    /** Every captured frame, cut at every length and with random bytes flipped: counted drops, never an exception. */
    @Test
    void truncatedAndMutatedFramesNeverThrow() {
        handlers();
        Random rnd = new Random(42);
        int fed = 0;
        for (String cap : new String[] {"frames/arp.pcap", "frames/l4.pcap", "frames/ndp.pcap", "frames/ndp-linkup.pcap",
                "frames/dhcp4-udhcpc.pcap", "frames/dhcp4-dhclient.pcap", "frames/dhcp6-dhclient.pcap"}) {
            for (byte[] f : Pcap.frames(cap)) {
                byte[] toUs = f.clone();
                System.arraycopy(new byte[] {(byte) 0x9a, 0x55, (byte) 0x9a, 0x55, (byte) 0x9a, 0x55}, 0, toUs, 0, 6);
                for (int len = 0; len <= f.length; len++) {
                    feed(Arrays.copyOf(toUs, len));
                    fed++;
                }
                for (int i = 0; i < 300; i++) {
                    byte[] m = toUs.clone();
                    int flips = 1 + rnd.nextInt(4);
                    for (int k = 0; k < flips; k++) {
                        int at = 12 + rnd.nextInt(m.length - 12);
                        m[at] = (byte) rnd.nextInt(256);
                    }
                    feed(Arrays.copyOf(m, Math.max(14, m.length - rnd.nextInt(8))));
                    fed++;
                }
            }
        }
        env.link.drain();
        assertTrue(fed > 10_000, "frames fed: " + fed);
    }
}
