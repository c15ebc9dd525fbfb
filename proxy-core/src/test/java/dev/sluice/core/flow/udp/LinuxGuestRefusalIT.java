package dev.sluice.core.flow.udp;

import dev.sluice.core.testutil.Prerequisites;

import static dev.sluice.core.flow.FlowTestKit.onLoop;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.flow.FlowTestKit.CollectingLink;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.testutil.PacketSocket;
import dev.sluice.core.testutil.TestNetns;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ICMP errors UdpFlows builds, checked against a real Linux guest stack:
 * a connected UDP socket in namespace G sends through a veth whose far end
 * (in namespace S) is read and written with a packet socket standing in for
 * the guest link. The datagram the kernel sent goes to UdpFlows, the error
 * UdpFlows answers goes back in, and the guest socket must see ECONNREFUSED.
 * Skipped when not root.
 */
class LinuxGuestRefusalIT {
    static TestNetns sluiceNs;
    static TestNetns guestNs;
    static MultiThreadIoEventLoopGroup group;
    static IoEventLoop loop;
    static ExecutorService inSluice;
    static ExecutorService inGuest;

    @BeforeAll
    static void topology() throws Exception {
        Prerequisites.require(TestNetns.available(), "needs root and iproute2");
        sluiceNs = TestNetns.create("sluice-s");
        guestNs = TestNetns.create("sluice-g");
        String tag = Integer.toHexString((int) (System.nanoTime() & 0xffffff));
        String vs = "vs" + tag;
        String vg = "vg" + tag;
        TestNetns.run("ip", "link", "add", vs, "netns", sluiceNs.name(), "type", "veth", "peer", "name", vg, "netns",
                guestNs.name());
        sluiceNs.exec("ip", "link", "set", vs, "address", "9a:55:9a:55:9a:55", "up");
        guestNs.exec("ip", "link", "set", vg, "address", "52:54:00:12:34:56", "up");
        guestNs.exec("ip", "addr", "add", "10.0.2.15/24", "dev", vg);
        guestNs.exec("ip", "addr", "add", "fd00::15/64", "dev", vg, "nodad");
        guestNs.exec("ip", "neigh", "add", "10.0.2.2", "lladdr", "9a:55:9a:55:9a:55", "dev", vg, "nud", "permanent");
        guestNs.exec("ip", "neigh", "add", "fd00::2", "lladdr", "9a:55:9a:55:9a:55", "dev", vg, "nud", "permanent");
        group = FlowTestKit.newGroup();
        loop = (IoEventLoop) group.next();
        onLoop(loop, () -> sluiceNs.enter());
        inSluice = Executors.newSingleThreadExecutor();
        inSluice.submit(() -> sluiceNs.enter()).get();
        inGuest = Executors.newSingleThreadExecutor();
        inGuest.submit(() -> guestNs.enter()).get();
        linkName = vs;
    }

    static String linkName;

    @AfterAll
    static void cleanup() throws Exception {
        try {
            for (ExecutorService e : new ExecutorService[] {inSluice, inGuest}) {
                if (e != null) {
                    e.shutdownNow();
                }
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        } finally {
            if (guestNs != null) {
                guestNs.close();
            }
            if (sluiceNs != null) {
                sluiceNs.close();
            }
        }
    }

    static <T> T in(ExecutorService e, Callable<T> c) throws Exception {
        return e.submit(c).get(20, TimeUnit.SECONDS);
    }

    /**
     * The guest sends from a socket connected to {@code gw:port}; the frame
     * goes through UdpFlows (with {@code gate}); UdpFlows' answer goes back to
     * the guest, whose next receive must fail with ECONNREFUSED.
     */
    void refusedInGuest(InetAddress gw, int port, OutboundGate gate) throws Exception {
        CollectingLink link = new CollectingLink();
        SluiceContext ctx = FlowTestKit.context(loop, link);
        UdpFlows udp = onLoop(loop, () -> new UdpFlows(ctx, FlowTestKit.mapper(), gate, new FlowBudget(10),
                UdpSettings.DEFAULT));
        try (PacketSocket wire = in(inSluice, () -> PacketSocket.open(linkName));
             DatagramSocket guest = in(inGuest, () -> new DatagramSocket(null))) {
            in(inGuest, () -> {
                guest.connect(new InetSocketAddress(gw, port));
                guest.send(new DatagramPacket(new byte[] {'p', 'r', 'o', 'b', 'e'}, 5));
                return null;
            });
            int guestPort = guest.getLocalPort();
            byte[] sent = null;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sent == null && System.nanoTime() < end) {
                byte[] f = in(inSluice, wire::poll);
                if (f == null) {
                    Thread.sleep(10);
                } else if (isUdpFrom(f, guestPort)) {
                    sent = f;
                }
            }
            assertNotNull(sent, "the guest's datagram never reached the wire");
            byte[] captured = sent;
            ByteBuf frame = Unpooled.wrappedBuffer(captured);
            boolean v6 = frame.getUnsignedShort(EthernetFrame.ETHERTYPE) == EthernetFrame.TYPE_IPV6;
            int l4 = v6 ? 14 + 40 : 14 + ((frame.getUnsignedByte(14) & 0xf) * 4);
            L4Handler h = udp;
            onLoop(loop, () -> h.onPacket(frame, 14, v6, l4, captured.length - l4));
            byte[] answer = link.take();
            in(inSluice, () -> {
                wire.send(answer);
                return null;
            });
            Throwable seen = in(inGuest, () -> {
                guest.setSoTimeout(5000);
                try {
                    guest.receive(new DatagramPacket(new byte[100], 100));
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            assertInstanceOf(PortUnreachableException.class, seen, "ECONNREFUSED on the connected socket");
        } finally {
            onLoop(loop, () -> udp.close());
        }
    }

    static boolean isUdpFrom(byte[] f, int port) {
        ByteBuf b = Unpooled.wrappedBuffer(f);
        if (f.length < 14 + 28) {
            return false;
        }
        int type = b.getUnsignedShort(12);
        if (type == EthernetFrame.TYPE_IPV4) {
            int l4 = 14 + (b.getUnsignedByte(14) & 0xf) * 4;
            return b.getUnsignedByte(14 + 9) == 17 && b.getUnsignedShort(l4) == port;
        }
        return type == EthernetFrame.TYPE_IPV6 && f.length >= 14 + 48
                && b.getUnsignedByte(14 + Ipv6Packet.NEXT_HEADER) == 17 && b.getUnsignedShort(14 + 40) == port;
    }

    static OutboundGate reject() {
        return (p, s, d, m) -> GateDecision.reject("test", "refused");
    }

    /** A port nobody listens on, in the loop's namespace (where the host sockets live). */
    static int closedPort(InetAddress lo) throws Exception {
        return onLoop(loop, () -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(lo, 0))) {
                return s.getLocalPort();
            }
        });
    }

    @Test
    void gateRejectIsEconnrefusedV4() throws Exception {
        refusedInGuest(FlowTestKit.GW4, 5555, reject());
    }

    @Test
    void gateRejectIsEconnrefusedV6() throws Exception {
        refusedInGuest(FlowTestKit.GW6, 5556, reject());
    }

    @Test
    void hostRefusalIsEconnrefusedV4() throws Exception {
        refusedInGuest(FlowTestKit.GW4, closedPort(FlowTestKit.LO4), OutboundGate.ALLOW_ALL);
    }

    @Test
    void hostRefusalIsEconnrefusedV6() throws Exception {
        refusedInGuest(FlowTestKit.GW6, closedPort(FlowTestKit.LO6), OutboundGate.ALLOW_ALL);
    }
}
