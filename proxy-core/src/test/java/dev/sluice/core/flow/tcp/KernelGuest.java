package dev.sluice.core.flow.tcp;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real Linux TCP stack as the guest: a network namespace holding a tap
 * device whose other end this fixture serves with a minimal link (TCP frames
 * to {@link TcpFlows}, nothing else). The guest has static addresses and
 * permanent neighbour entries for the gateway, so it needs no ARP/NDP.
 * Guest: 10.0.2.15/24, fd00::15/64; gateway 10.0.2.2 and fd00::2, mapped to
 * 127.0.0.1 and ::1 of the namespace the test runs in; every other
 * destination is refused. Requires root and {@code ip}.
 */
final class KernelGuest implements AutoCloseable {
    static final String GW4 = "10.0.2.2";
    static final String GW6 = "fd00::2";
    static final String GUEST4 = "10.0.2.15";
    static final String GUEST6 = "fd00::15";
    static final String OUR_MAC = "9a:55:9a:55:9a:55";

    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    final String ns = "sltcp" + suffix;
    final String tapName = "sltap" + suffix;
    final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    final IoEventLoop loop = group.next();
    final Counters counters = new Counters();
    final FlowBudget budget = new FlowBudget(FlowBudget.DEFAULT_MAX);
    final TapLink link = new TapLink();
    final GuestState guestState = new GuestState(0);
    final TcpFlows flows;
    private TestTap tap;
    private boolean nsMade;
    private boolean tapMade;

    static boolean available() {
        return "root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/net/tun"))
                && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")));
    }

    KernelGuest(int mtu, TcpSettings settings, OutboundGate gate) throws Exception {
        GuestConfig gc = new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, 0, mtu, true,
                (Inet4Address) InetAddress.getByName(GUEST4), 24, (Inet4Address) InetAddress.getByName(GW4),
                List.of(), true, (Inet6Address) InetAddress.getByName(GUEST6), 64,
                (Inet6Address) InetAddress.getByName(GW6), (Inet6Address) InetAddress.getByName("fe80::1"),
                List.of(), List.of(), false, false, false, false);
        SluiceContext ctx = new SluiceContext(gc, guestState, counters, loop, link, PooledByteBufAllocator.DEFAULT);
        AddressMapper mapper = new AddressMapper() {
            @Override
            public InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto) {
                try {
                    if (dst.equals(InetAddress.getByName(GW4))) {
                        return InetAddress.getByName("127.0.0.1");
                    }
                    if (dst.equals(InetAddress.getByName(GW6))) {
                        return InetAddress.getByName("::1");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null; // nothing else is reachable from this test guest
            }

            @Override
            public InetAddress guestVisibleSource(InetAddress hostPeer) {
                return hostPeer;
            }
        };
        flows = loop.submit(() -> new TcpFlows(ctx, mapper, gate, budget, settings)).get(10, TimeUnit.SECONDS);
        boolean ok = false;
        try {
            ensure(run(10, "ip", "netns", "add", ns));
            nsMade = true;
            ensure(run(10, "ip", "-n", ns, "link", "set", "lo", "up"));
            // made here, attached to here, then moved into the guest's namespace:
            // the open file stays attached to the device wherever it lives
            ensure(run(10, "ip", "tuntap", "add", "dev", tapName, "mode", "tap"));
            tapMade = true;
            tap = TestTap.attach(tapName);
            ensure(run(10, "ip", "link", "set", tapName, "netns", ns));
            link.start();
            ensure(sh(10, "ip link set " + tapName + " mtu " + mtu + " up"
                    + " && ip addr add " + GUEST4 + "/24 dev " + tapName
                    + " && ip -6 addr add " + GUEST6 + "/64 dev " + tapName + " nodad"
                    + " && ip route add default via " + GW4
                    + " && ip -6 route add default via " + GW6 + " dev " + tapName
                    + " && ip neigh replace " + GW4 + " lladdr " + OUR_MAC + " dev " + tapName + " nud permanent"
                    + " && ip -6 neigh replace " + GW6 + " lladdr " + OUR_MAC + " dev " + tapName + " nud permanent"));
            ok = true;
        } finally {
            if (!ok) {
                close();
            }
        }
    }

    <T> T onLoop(Callable<T> c) throws Exception {
        return loop.submit(c).get(10, TimeUnit.SECONDS);
    }

    /** Waits (bounded) for a condition evaluated on the loop. */
    void await(Callable<Boolean> cond, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!onLoop(cond)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    record Result(int exit, String out) {
        boolean ok() {
            return exit == 0;
        }
    }

    static Result ensure(Result r) {
        if (!r.ok()) {
            throw new AssertionError("command failed (" + r.exit + "): " + r.out);
        }
        return r;
    }

    /** Runs a shell command inside the guest namespace, bounded by {@code timeoutSec}. */
    Result sh(int timeoutSec, String cmd) throws Exception {
        return run(timeoutSec, "ip", "netns", "exec", ns, "sh", "-c", cmd);
    }

    /** Starts a shell command inside the guest namespace without waiting. */
    Process spawn(String cmd) throws IOException {
        return new ProcessBuilder("ip", "netns", "exec", ns, "sh", "-c", cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    static Result run(int timeoutSec, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
            kill(p);
            return new Result(-1, "timed out after " + timeoutSec + " s: " + String.join(" ", cmd) + "\n"
                    + out.getNow(""));
        }
        return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS));
    }

    /** Kills a process this fixture started and everything it started. */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            loop.submit(flows::close).get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
        link.stop();
        try {
            if (tapMade) {
                run(10, "ip", "-n", ns, "link", "del", tapName);
                run(10, "ip", "link", "del", tapName); // in case it never moved
            }
            if (nsMade) {
                run(10, "ip", "netns", "del", ns);
            }
        } catch (Exception ignored) {
            // best effort
        }
        if (tap != null) {
            tap.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** The guest link over the tap: a reader thread posts frames to the loop; writes go straight to the tap. */
    final class TapLink implements GuestLink {
        private final EthernetFrame eth = new EthernetFrame();
        private final Ipv4Packet ip4 = new Ipv4Packet();
        private final Ipv6Packet ip6 = new Ipv6Packet();
        private volatile boolean up;
        private Thread reader;

        void start() {
            up = true;
            reader = new Thread(this::readLoop, "tap-reader-" + tapName);
            reader.setDaemon(true);
            reader.start();
        }

        void stop() {
            up = false;
        }

        // frames cross to the loop in batches, as a real link reads many per wakeup
        private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuf> inbox =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicBoolean drainScheduled =
                new java.util.concurrent.atomic.AtomicBoolean();
        private final Runnable drain = this::drain;

        private void readLoop() {
            ByteBuffer buf = ByteBuffer.allocateDirect(70_000);
            while (up) {
                buf.clear();
                int n = tap.read(buf);
                if (n <= 0 || !up) {
                    break;
                }
                ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(n);
                buf.limit(n);
                f.writeBytes(buf);
                inbox.add(f);
                if (drainScheduled.compareAndSet(false, true)) {
                    loop.execute(drain);
                }
            }
        }

        private void drain() {
            drainScheduled.set(false);
            for (ByteBuf f; (f = inbox.poll()) != null; ) {
                frame(f, f.readableBytes());
            }
        }

        private void frame(ByteBuf f, int len) {
            try {
                if (!eth.wrap(f, 0, len)) {
                    return;
                }
                guestState.learnMac(eth.src());
                if (eth.etherType() == EthernetFrame.TYPE_IPV4 && ip4.wrap(f, 14, len - 14)
                        && ip4.protocol() == Ipv4Packet.PROTO_TCP && !ip4.isFragment()) {
                    flows.onPacket(f, 14, false, ip4.payloadOffset(), ip4.payloadLength());
                } else if (eth.etherType() == EthernetFrame.TYPE_IPV6 && ip6.wrap(f, 14, len - 14)
                        && ip6.upperLayer() == Ipv6Packet.NH_TCP) {
                    flows.onPacket(f, 14, true, ip6.upperLayerOffset(), ip6.upperLayerLength());
                }
            } finally {
                f.release();
            }
        }

        @Override
        public void send(ByteBuf frame) {
            try {
                if (up) {
                    tap.write(frame.nioBuffer());
                }
            } finally {
                frame.release();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public boolean isUp() {
            return up;
        }
    }
}
