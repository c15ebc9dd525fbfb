package dev.sluice.core.flow.fwd;

import dev.sluice.core.host.NsAccess;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * pasta's {@code -T/--tcp-ns} and {@code -U/--udp-ns}: listeners inside the guest's
 * namespace, on its loopback (or the spec's address), whose connections are spliced
 * (TCP, {@link TcpSplice}) or datagrams relayed (UDP, {@link UdpNsRelay}) to the same
 * or mapped port on the host's loopback. The listening sockets are made in the
 * namespace through {@link NsAccess} (a socket belongs to the namespace it was made
 * in: a thread that entered it, or the rootless helper), then registered on the one
 * event loop like every other socket; the host-side sockets are made from the loop, in
 * the host's namespace. Ports that cannot be bound are skipped with one warning, as
 * {@code -t all} does. {@code auto} is {@link AutoForwards}' business, through
 * {@link #openPort}.
 */
public final class NsForwarder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NsForwarder.class);
    private static final InetAddress LO4 = loopback("127.0.0.1");
    private static final InetAddress LO6 = loopback("::1");
    private static final int BACKLOG = 128;

    private final EventLoop loop;
    private final NsAccess ns;
    private final List<Channel> listeners = new ArrayList<>();
    private int live;

    public NsForwarder(EventLoop loop, NsAccess ns) {
        this.loop = loop;
        this.ns = ns;
    }

    /** Opens the listeners of one {@code -T} value; call before the loop serves traffic. */
    public void forwardTcp(PortSpec spec) throws IOException {
        forward(spec, true);
    }

    /** Opens the listeners of one {@code -U} value; call before the loop serves traffic. */
    public void forwardUdp(PortSpec spec) throws IOException {
        forward(spec, false);
    }

    private void forward(PortSpec spec, boolean tcp) throws IOException {
        String opt = tcp ? "--tcp-ns" : "--udp-ns";
        if (spec.isNone() || spec.isAuto()) {
            return; // auto: AutoForwards opens ports as the host's listeners come and go
        }
        List<InetAddress> addrs = spec.bindAddress() != null ? List.of(spec.bindAddress()) : List.of(LO4, LO6);
        int[] ports = spec.isAll()
                ? java.util.stream.IntStream.rangeClosed(1, 65535).filter(p -> !spec.isExcluded(p)).toArray()
                : spec.hostPorts();
        int bound = 0;
        List<String> skipped = new ArrayList<>();
        for (int port : ports) {
            for (InetAddress a : addrs) {
                try {
                    listeners.add(listen(tcp, a, port, spec.guestPort(port)));
                    bound++;
                } catch (Exception e) {
                    if (skipped.size() < 5) {
                        skipped.add((a instanceof Inet6Address ? "[::1]" : a.getHostAddress()) + ":" + port
                                + " (" + reason(e) + ")");
                    } else if (skipped.size() == 5) {
                        skipped.add("...");
                    }
                }
            }
        }
        if (bound == 0) {
            throw new IOException("option '" + opt + "': no port of '" + spec + "' could be bound in the namespace: "
                    + String.join(", ", skipped));
        }
        if (!skipped.isEmpty()) {
            log.warn("{} '{}': some ports were not bound in the namespace: {}", opt, spec, String.join(", ", skipped));
        }
        log.info("forwarding namespace {} {} to the host's loopback ({} listeners)", tcp ? "TCP" : "UDP", spec, bound);
    }

    /**
     * Listeners on the namespace's loopback (both families, those that bind) for port, to the
     * host's loopback port; from any thread but the loop's. Empty when none could be bound.
     */
    public List<Channel> openPort(boolean tcp, int port) {
        List<Channel> out = new ArrayList<>(2);
        for (InetAddress a : List.of(LO4, LO6)) {
            try {
                out.add(listen(tcp, a, port, port));
            } catch (Exception e) {
                log.debug("namespace {} port {} on {}: {}", tcp ? "TCP" : "UDP", port, a, reason(e));
            }
        }
        return out;
    }

    private Channel listen(boolean tcp, InetAddress addr, int nsPort, int hostPort) throws Exception {
        boolean v6 = addr instanceof Inet6Address;
        InetSocketAddress target = new InetSocketAddress(v6 ? LO6 : LO4, hostPort);
        // The socket must be made inside the namespace; everything after that may happen anywhere.
        int fd = ns.socket(v6, tcp);
        io.netty.channel.unix.Socket raw = new io.netty.channel.unix.Socket(fd);
        Channel s;
        try {
            // bound (and listening) before netty wraps it: a channel made from an fd starts out active
            raw.setReuseAddress(true);
            raw.bind(new InetSocketAddress(addr, nsPort));
            if (tcp) {
                raw.listen(BACKLOG);
                EpollServerSocketChannel t = new EpollServerSocketChannel(fd);
                t.pipeline().addLast(new Acceptor(target));
                s = t;
            } else {
                EpollDatagramChannel d = new EpollDatagramChannel(fd);
                d.config().setRecvByteBufAllocator(new io.netty.channel.FixedRecvByteBufAllocator(65536));
                d.pipeline().addLast(new UdpNsRelay(loop, target));
                s = d;
            }
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        ChannelFuture reg = loop.submit(() -> loop.register(s)).get();
        try {
            reg.syncUninterruptibly();
        } catch (RuntimeException e) {
            s.unsafe().closeForcibly();
            throw e;
        }
        return s;
    }

    /** Connections spliced now (for tests and stats). */
    public int liveConnections() {
        return live;
    }

    private final class Acceptor extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress target;

        Acceptor(InetSocketAddress target) {
            this.target = target;
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (!(msg instanceof SocketChannel child)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            child.config().setAutoRead(false);
            child.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            TcpSplice half = TcpSplice.accepted();
            child.pipeline().addLast(half);
            loop.register(child).addListener(r -> {
                if (!r.isSuccess()) {
                    child.unsafe().closeForcibly();
                    return;
                }
                new Bootstrap().group(loop)
                        .channelFactory(() -> new EpollSocketChannel(target.getAddress() instanceof Inet6Address
                                ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET))
                        .option(ChannelOption.AUTO_READ, false)
                        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                            }
                        })
                        .connect(target).addListener((ChannelFuture f) -> {
                            if (!f.isSuccess()) {
                                // refused on the host: the namespace's client sees a reset, as with pasta
                                half.abandon();
                                child.config().setOption(ChannelOption.SO_LINGER, 0);
                                child.close();
                                return;
                            }
                            live++;
                            TcpSplice.join(half, (DuplexChannel) child, (DuplexChannel) f.channel(), () -> live--);
                        });
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            log.debug("namespace TCP listener {}: {}", c.channel().localAddress(), cause.toString());
        }
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        int i = m != null ? m.indexOf("failed: ") : -1;
        return i >= 0 ? m.substring(i + 8) : String.valueOf(m);
    }

    private static InetAddress loopback(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        Runnable r = () -> {
            listeners.forEach(Channel::close);
            listeners.clear();
        };
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.submit(r).awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
