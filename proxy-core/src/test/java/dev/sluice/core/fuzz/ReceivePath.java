package dev.sluice.core.fuzz;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.FlowBudget;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.MappingConfig;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.PasstAddressMapper;
import dev.sluice.core.flow.icmp.IcmpFlows;
import dev.sluice.core.flow.icmp.IcmpSettings;
import dev.sluice.core.flow.tcp.TcpFlows;
import dev.sluice.core.flow.tcp.TcpSettings;
import dev.sluice.core.flow.udp.UdpFlows;
import dev.sluice.core.flow.udp.UdpSettings;
import dev.sluice.core.l2.Dispatcher;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.StreamLink;
import dev.sluice.core.testing.TestContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The receive path as Sluice wires it (Sluice.Runtime): StreamLink's framer,
 * the Dispatcher with ARP, NDP, DHCP and DHCPv6, and the TCP, UDP and ICMP
 * flow tables with a shared budget, all on one real epoll loop (run by the
 * fuzzing thread between inputs: host sockets answer then). The guest's
 * end of the stream link is an {@link EmbeddedChannel}: frames the fuzzer
 * writes go in through the framer (or straight to the dispatcher), frames for
 * the guest come out of it and are counted and released.
 *
 * <p>Host sockets are real but go nowhere but loopback: the gate admits a flow
 * only to the harness's own echo services on 127.0.0.1 / ::1 port
 * {@link #SERVICE_PORT} (the guest reaches them through the gateway address,
 * which the mapper turns into loopback); everything else is refused or
 * dropped by the gate, which exercises those paths too.
 */
final class ReceivePath implements AutoCloseable {
    static final int MAX_FLOWS = 64;
    static final int SERVICE_PORT = 47931;

    /** Epoll, driven by the fuzzing thread itself: no hand-over to another thread per input. */
    private final ManualIoEventLoop loop = new ManualIoEventLoop(Thread.currentThread(), EpollIoHandler.newFactory());
    private final Counters counters = new Counters();
    private final GuestState state;
    private final FlowBudget budget = new FlowBudget(MAX_FLOWS);
    private final StreamLink link;
    private final Constructor<?> framer;
    private final List<Channel> services = new ArrayList<>();
    private Dispatcher dispatcher;
    private TcpFlows tcp;
    private UdpFlows udp;
    private IcmpFlows icmp;
    private EmbeddedChannel guest;
    private long toGuestBytes;

    ReceivePath() throws Exception {
        GuestConfig cfg = TestContexts.config();
        state = new GuestState(cfg.guestMac());
        // Never started: the harness attaches the guest connection itself, so no socket file exists.
        link = new StreamLink(loop, PooledByteBufAllocator.DEFAULT, Path.of("/nonexistent/sluice-fuzz.socket"),
                cfg.mtu(), counters, null, false, () -> { });
        // StreamLink's framer is private: the harness puts the very same handler on its in-memory channel.
        framer = Class.forName(StreamLink.class.getName() + "$Framer").getDeclaredConstructor(StreamLink.class);
        framer.setAccessible(true);
        SluiceContext ctx = new SluiceContext(cfg, state, counters, loop, link, PooledByteBufAllocator.DEFAULT);
        AddressMapper mapper = new PasstAddressMapper(MappingConfig.builder().gateways(cfg.gw4(), cfg.gw6()).build());
        OutboundGate gate = (proto, src, asSent, mapped) -> {
            if (mapped.getAddress().isLoopbackAddress() && (proto == FlowProtocol.ICMP || proto == FlowProtocol.ICMPV6
                    || mapped.getPort() == SERVICE_PORT)) {
                return GateDecision.ACCEPT;
            }
            return (mapped.getPort() & 1) == 0 ? GateDecision.reject("fuzz", "not the harness's service")
                    : GateDecision.drop("fuzz", "not the harness's service");
        };
        startServices();
        onLoop(() -> {
            dispatcher = new Dispatcher(ctx);
            tcp = new TcpFlows(ctx, mapper, gate, budget, TcpSettings.defaults());
            udp = new UdpFlows(ctx, mapper, gate, budget, UdpSettings.DEFAULT);
            icmp = new IcmpFlows(ctx, mapper, gate, budget, IcmpSettings.DEFAULT);
            dispatcher.setTcp(tcp);
            dispatcher.setUdp(udp);
            dispatcher.setIcmp4(icmp.handlerV4());
            dispatcher.setIcmp6(icmp.handlerV6());
            link.setHandler(new Runtime());
            attach();
            return null;
        });
    }

    /** What Sluice.Runtime does with link events. */
    private final class Runtime implements FrameHandler {
        @Override
        public void onFrame(ByteBuf frame) {
            dispatcher.onFrame(frame);
        }

        @Override
        public void onLinkUp() {
            dispatcher.onLinkUp();
        }

        @Override
        public void onLinkDown() {
            dispatcher.onLinkDown();
            tcp.onLinkDown();
            udp.onLinkDown();
            icmp.onLinkDown();
        }
    }

    /** TCP and UDP echo on loopback, both families, where the gate lets flows go. Best effort: a busy port is skipped. */
    private void startServices() {
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            InetSocketAddress at = new InetSocketAddress(host, SERVICE_PORT);
            io.netty.channel.ChannelFuture t = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext c, Object msg) {
                                    c.writeAndFlush(msg);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                    c.close();
                                }
                            });
                        }
                    }).bind(at);
            settle(t);
            if (t.isSuccess()) {
                services.add(t.channel());
            }
            io.netty.channel.ChannelFuture u = new Bootstrap().group(loop).channel(EpollDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext c, DatagramPacket p) {
                            c.writeAndFlush(new DatagramPacket(p.content().retain(), p.sender()));
                        }
                    }).bind(at);
            settle(u);
            if (u.isSuccess()) {
                services.add(u.channel());
            }
        }
    }

    /** A new guest connection through StreamLink's framer (link up). */
    private void attach() throws Exception {
        guest = new EmbeddedChannel((ChannelHandler) framer.newInstance(link));
    }

    /** The guest leaves (link down: every flow reset), and a new one connects. */
    private void relink() throws Exception {
        drain();
        guest.close();
        guest.runPendingTasks();
        attach();
    }

    /**
     * Runs one input on the loop, then checks the bounds ({@link #violation}) in the same task;
     * returns the violation or null. An exception from the receive path is rethrown as it was.
     */
    String run(byte[] input) throws Throwable {
        try {
            return onLoop(() -> {
                feed(input);
                return violation();
            });
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }

    private void feed(byte[] input) throws Exception {
        int flags = Inputs.flags(input);
        drain();
        if ((flags & Inputs.RELINK) != 0 || !guest.isActive()) {
            relink();
        }
        List<byte[]> frames = Inputs.frames(input);
        if ((flags & Inputs.FIX_CHECKSUMS) != 0) {
            for (byte[] f : frames) {
                Inputs.fixChecksums(f);
            }
        }
        if ((flags & Inputs.STREAM) != 0) {
            byte[] s = Inputs.stream(input, frames);
            int chunk = Inputs.chunk(input);
            for (int off = 0; off < s.length && guest.isActive(); off += chunk) {
                int n = Math.min(chunk, s.length - off);
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(n);
                b.writeBytes(s, off, n);
                guest.writeInbound(b); // the framer releases it
            }
            guest.runPendingTasks();
        } else {
            FrameHandler h = new Runtime();
            for (byte[] f : frames) {
                // At a non-zero reader index inside a bigger buffer, as the framer hands frames on.
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(f.length + 8);
                try {
                    b.writeZero(4).writeBytes(f).readerIndex(4);
                    h.onFrame(b.slice(4, f.length));
                } finally {
                    b.release();
                }
                link.flush();
            }
        }
        drain();
    }

    /** Frames for the guest: counted and released, as QEMU would consume them. */
    private void drain() {
        if (guest == null) {
            return;
        }
        for (Object o = guest.readOutbound(); o != null; o = guest.readOutbound()) {
            if (o instanceof ByteBuf b) {
                toGuestBytes += b.readableBytes();
            }
            ReferenceCountUtil.release(o);
        }
    }

    /** Problems after an input: flow tables or state past their bounds; null when all is well. */
    private String violation() {
        int flows = tcp.activeFlows() + udp.activeFlows() + icmp.activeFlows();
        if (budget.used() > budget.max() || flows > budget.max()) {
            return "flows beyond the budget: " + stats();
        }
        if (state.seenAddresses().size() > GuestState.MAX_SEEN) {
            return "GuestState remembers " + state.seenAddresses().size() + " guest addresses";
        }
        return null;
    }

    /**
     * Link down and up: every flow must be gone and every budget slot back
     * (closes may finish on a later loop turn: waits up to 5 s). Null when so.
     */
    String resetViolation() throws Exception {
        onLoop(() -> {
            relink();
            return null;
        });
        String s = null;
        for (int i = 0; i < 500; i++) {
            s = onLoop(() -> budget.used() == 0 && tcp.activeFlows() + udp.activeFlows() + icmp.activeFlows() == 0
                    ? null : "after link down: " + stats());
            if (s == null) {
                return null;
            }
            loop.run(10_000_000L);
        }
        return s;
    }

    String stats() {
        return "tcp=" + tcp.activeFlows() + " udp=" + udp.activeFlows() + " icmp=" + icmp.activeFlows()
                + " budget=" + budget.used() + "/" + budget.max() + " seen=" + state.seenAddresses().size()
                + " toGuest=" + toGuestBytes + "B";
    }

    String statsOnLoop() throws Exception {
        return onLoop(this::stats);
    }

    /** Runs c as the loop's owner, then whatever became ready (host sockets, timers, tasks). */
    private <T> T onLoop(java.util.concurrent.Callable<T> c) throws ExecutionException {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("the fuzz harness runs on the thread that built it");
        }
        try {
            T t = c.call();
            loop.runNow();
            return t;
        } catch (Exception e) {
            throw new ExecutionException(e);
        } catch (Error e) {
            throw new ExecutionException(e);
        }
    }

    private void settle(io.netty.util.concurrent.Future<?> f) {
        for (int i = 0; i < 1000 && !f.isDone(); i++) {
            loop.run(1_000_000L);
        }
    }

    @Override
    public void close() throws Exception {
        onLoop(() -> {
            drain();
            guest.close();
            guest.runPendingTasks();
            tcp.close();
            udp.close();
            icmp.close();
            dispatcher.close();
            for (Channel c : services) {
                c.close();
            }
            link.close();
            return null;
        });
        loop.shutdown();
        for (int i = 0; i < 1000 && !loop.isTerminated(); i++) {
            loop.run(1_000_000L);
        }
    }
}
