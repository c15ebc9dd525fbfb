package dev.sluice.core.flow.fwd;

import dev.sluice.core.testutil.Prerequisites;

import static dev.sluice.core.flow.FlowTestKit.GUEST4;
import static dev.sluice.core.flow.FlowTestKit.GUEST6;
import static dev.sluice.core.flow.FlowTestKit.GW4;
import static dev.sluice.core.flow.FlowTestKit.GW6;
import static dev.sluice.core.flow.FlowTestKit.LO4;
import static dev.sluice.core.flow.FlowTestKit.LO6;
import static dev.sluice.core.flow.FlowTestKit.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.DeviceBinder;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowTestKit;
import dev.sluice.core.flow.FlowTestKit.CollectingLink;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.udp.UdpFlows;
import dev.sluice.core.flow.udp.UdpSettings;
import dev.sluice.core.testutil.TestNetns;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PortForwarder where binding every address and many ports is harmless: in a
 * namespace of its own (the event loop and a client thread enter it). Skipped
 * when not root.
 */
class PortForwarderIT {
    static TestNetns ns;
    static MultiThreadIoEventLoopGroup group;
    static IoEventLoop loop;
    /** A thread inside the namespace for the test's own client and blocker sockets. */
    static ExecutorService inNs;

    CollectingLink link;
    SluiceContext ctx;
    UdpFlows udp;
    PortForwarder fwd;
    final LinkedBlockingQueue<Object[]> accepted = new LinkedBlockingQueue<>();

    @BeforeAll
    static void namespace() throws Exception {
        Prerequisites.require(TestNetns.available(), "needs root and iproute2");
        ns = TestNetns.create("sluice-fwd");
        group = FlowTestKit.newGroup();
        loop = (IoEventLoop) group.next();
        onLoop(loop, () -> ns.enter());
        inNs = Executors.newSingleThreadExecutor();
        inNs.submit(() -> ns.enter()).get();
    }

    @AfterAll
    static void cleanup() throws Exception {
        try {
            if (inNs != null) {
                inNs.shutdownNow();
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    static <T> T inNamespace(Callable<T> c) throws Exception {
        return inNs.submit(c).get(20, TimeUnit.SECONDS);
    }

    @BeforeEach
    void setUp() {
        link = new CollectingLink();
        ctx = FlowTestKit.context(loop, link);
        udp = onLoop(loop, () -> new UdpFlows(ctx, FlowTestKit.mapper(), OutboundGate.ALLOW_ALL, new FlowBudget(100),
                UdpSettings.DEFAULT));
        fwd = new PortForwarder(ctx, FlowTestKit.mapper(), (ch, dst, src) -> accepted.add(new Object[] {ch, dst, src}),
                udp, DeviceBinder.HOST);
    }

    @AfterEach
    void tearDown() {
        fwd.close();
        onLoop(loop, () -> udp.close());
        for (Object[] a : accepted) {
            ((SocketChannel) a[0]).close();
        }
    }

    Object[] connect(InetAddress a, int port) throws Exception {
        int local = inNamespace(() -> {
            try (Socket s = new Socket(a, port)) {
                return s.getLocalPort();
            }
        });
        Object[] acc = accepted.poll(5, TimeUnit.SECONDS);
        assertNotNull(acc, "no connection handed over");
        acc[2] = new Object[] {acc[2], local};
        return acc;
    }

    @Test
    void plainPortListensOnBothFamilies() throws Exception {
        fwd.forwardTcp(PortSpec.parse("2222:22"));
        assertEquals(2, fwd.listenerCount(), "0.0.0.0 and :: (v6-only)");
        Object[] a4 = connect(LO4, 2222);
        assertEquals(new InetSocketAddress(GUEST4, 22), a4[1]);
        Object[] p4 = (Object[]) a4[2];
        assertEquals(new InetSocketAddress(GW4, (int) p4[1]), p4[0]);
        Object[] a6 = connect(LO6, 2222);
        assertEquals(new InetSocketAddress(GUEST6, 22), a6[1]);
        Object[] p6 = (Object[]) a6[2];
        assertEquals(new InetSocketAddress(GW6, (int) p6[1]), p6[0]);
    }

    @Test
    void allSkipsPortsInUse() throws Exception {
        // 65000-65535 only (the rest excluded), 65100 already taken by someone else
        try (ServerSocket blocker = inNamespace(() -> new ServerSocket(65100, 1, LO4))) {
            fwd.forwardTcp(PortSpec.parse("127.0.0.1/~1-64999"));
            assertEquals(535, fwd.listenerCount());
            assertEquals(new InetSocketAddress(GUEST4, 65101), connect(LO4, 65101)[1]);
            String summary = fwd.lastSkipped();
            assertNotNull(summary, "one summary of what was skipped");
            assertTrue(summary.contains(": 1 port bindings skipped, 535 listening")
                    && summary.contains("65100 127.0.0.1 (Address already in use)"), summary);
        }
    }

    @Test
    void allWithNothingBindableIsAnError() throws Exception {
        try (ServerSocket blocker = inNamespace(() -> new ServerSocket(65535, 1, LO4))) {
            IOException e = assertThrows(IOException.class,
                    () -> fwd.forwardTcp(PortSpec.parse("127.0.0.1/~1-65534")));
            assertTrue(e.getMessage().contains("no port could be bound"), e.getMessage());
        }
    }

    @Test
    void allLeavesTheEphemeralRangeOut() throws Exception {
        ns.sysctl("net.ipv4.ip_local_port_range", "65000 65530");
        try {
            fwd.forwardUdp(PortSpec.parse("127.0.0.1/~1-64989"));
            assertEquals(10 + 5, fwd.listenerCount(), "64990-64999 and 65531-65535");
        } finally {
            ns.sysctl("net.ipv4.ip_local_port_range", "32768 60999");
        }
    }

    @Test
    void interfaceBoundListener() throws Exception {
        fwd.forwardTcp(PortSpec.parse("127.0.0.1%lo/4000"));
        assertEquals(new InetSocketAddress(GUEST4, 4000), connect(LO4, 4000)[1]);
        IOException e = assertThrows(IOException.class, () -> fwd.forwardTcp(PortSpec.parse("%nosuchif0/4001")));
        assertTrue(e.getMessage().contains("4001") && e.getMessage().contains("nosuchif0"), e.getMessage());
    }

    @Test
    void udpOnBothFamilies() throws Exception {
        fwd.forwardUdp(PortSpec.parse("5353"));
        assertEquals(2, fwd.listenerCount());
        for (InetAddress lo : new InetAddress[] {LO4, LO6}) {
            inNamespace(() -> {
                try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(lo, 0))) {
                    c.send(new DatagramPacket(new byte[] {42}, 1, new InetSocketAddress(lo, 5353)));
                }
                return null;
            });
            assertTrue(FlowTestKit.checksumsValid(link.take()));
        }
        assertEquals(2, onLoop(loop, () -> udp.activeFlows()));
    }
}
