package dev.sluice.core.flow.fwd;

import dev.sluice.core.LogLimiter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * pasta's {@code -U/--udp-ns} for one listening socket in the namespace: each source
 * (address and port) that sends to it gets a connected socket on the host's side, to
 * the host's loopback port, and what comes back on that socket goes back to the source
 * from the namespace's port, as pasta splices UDP. Flows idle for {@link #IDLE_S}
 * seconds (pasta's UDP timeout) are closed; at most {@link #MAX_FLOWS} sources per
 * listener, datagrams of further sources dropped with a rate-limited warning and
 * counted. Everything runs on the one event loop.
 */
final class UdpNsRelay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpNsRelay.class);
    static final int IDLE_S = 180;
    static final int MAX_FLOWS = 256;

    private final EventLoop loop;
    private final InetSocketAddress target;
    private final Map<InetSocketAddress, Flow> flows = new HashMap<>();
    private final FixedRecvByteBufAllocator recv = new FixedRecvByteBufAllocator(65536);
    private final LogLimiter dropLog = new LogLimiter();
    private Channel listener;
    private java.util.concurrent.ScheduledFuture<?> sweeper;
    private long dropped;

    private final class Flow {
        final InetSocketAddress source;
        Channel host;
        long lastNs = System.nanoTime();

        Flow(InetSocketAddress source) {
            this.source = source;
        }
    }

    UdpNsRelay(EventLoop loop, InetSocketAddress target) {
        this.loop = loop;
        this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext c) {
        listener = c.channel();
        sweeper = loop.scheduleAtFixedRate(this::expire, IDLE_S / 6, IDLE_S / 6, TimeUnit.SECONDS);
        c.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (!(msg instanceof DatagramPacket p)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        Flow f = flows.get(p.sender());
        if (f == null) {
            if (flows.size() >= MAX_FLOWS) {
                dropped++;
                if (dropLog.allow()) {
                    log.warn("--udp-ns {}: datagram from {} dropped: {} sources already relayed (dropped so far: {})",
                            listener.localAddress(), p.sender(), MAX_FLOWS, dropped);
                }
                p.release();
                return;
            }
            f = open(p.sender());
        }
        f.lastNs = System.nanoTime();
        ByteBuf payload = p.content().retain();
        p.release();
        if (f.host.isActive()) {
            f.host.writeAndFlush(payload, f.host.voidPromise());
        } else {
            Channel h = f.host;
            // the connect(2) of a UDP socket completes at once; this is the rare not-yet case
            h.eventLoop().execute(() -> {
                if (h.isActive()) {
                    h.writeAndFlush(payload, h.voidPromise());
                } else {
                    payload.release();
                }
            });
        }
    }

    private Flow open(InetSocketAddress source) {
        Flow f = new Flow(source);
        boolean v6 = target.getAddress() instanceof Inet6Address;
        ChannelFuture cf = new Bootstrap().group(loop)
                .channelFactory(() -> new EpollDatagramChannel(v6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET))
                .option(io.netty.channel.ChannelOption.RCVBUF_ALLOCATOR, recv)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Back(f));
                    }
                })
                .connect(target);
        f.host = cf.channel();
        flows.put(source, f);
        cf.addListener(r -> {
            if (!r.isSuccess()) {
                log.debug("--udp-ns: cannot reach {} for {}: {}", target, source, r.cause().toString());
                close(f);
            }
        });
        return f;
    }

    private void close(Flow f) {
        if (flows.get(f.source) == f) {
            flows.remove(f.source);
        }
        f.host.close();
    }

    private void expire() {
        long now = System.nanoTime();
        for (Iterator<Flow> it = flows.values().iterator(); it.hasNext(); ) {
            Flow f = it.next();
            if (now - f.lastNs > TimeUnit.SECONDS.toNanos(IDLE_S)) {
                it.remove();
                f.host.close();
            }
        }
    }

    /** Sources relayed now (tests). */
    int flowCount() {
        return flows.size();
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        flows.values().forEach(f -> f.host.close());
        flows.clear();
        c.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        log.debug("namespace UDP listener {}: {}", c.channel().localAddress(), cause.toString());
    }

    /** Host side of one flow: replies go back to the source through the namespace's socket. */
    private final class Back extends ChannelInboundHandlerAdapter {
        private final Flow f;

        Back(Flow f) {
            this.f = f;
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (!(msg instanceof DatagramPacket p)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            f.lastNs = System.nanoTime();
            if (listener != null && listener.isActive()) {
                listener.writeAndFlush(new DatagramPacket(p.content().retain(), f.source), listener.voidPromise());
            }
            p.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            // ECONNREFUSED from an ICMP port unreachable: nobody listens on the host's port (yet)
            log.debug("--udp-ns flow {} -> {}: {}", f.source, target, cause.toString());
        }
    }
}
