package dev.sluice.core.flow.fwd;

import dev.sluice.core.host.Netns;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
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
 * pasta's {@code -T/--tcp-ns}: listeners inside the guest's namespace, on its loopback
 * (or the spec's address), whose connections are spliced to the same or mapped port on
 * the host's loopback. The listening sockets are created by a thread that entered the
 * namespace (a socket belongs to the namespace it was made in), then registered on the
 * one event loop like every other socket; the host-side connections are made from the
 * loop, in the host's namespace. Ports that cannot be bound are skipped with one
 * warning, as {@code -t all} does.
 *
 * <p>Not here: {@code -U/--udp-ns} (refused at startup for anything but {@code none}),
 * and {@code auto}, which would follow the namespace's listening ports.
 */
public final class NsForwarder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NsForwarder.class);
    private static final InetAddress LO4 = loopback("127.0.0.1");
    private static final InetAddress LO6 = loopback("::1");
    private static final int BACKLOG = 128;

    private final EventLoop loop;
    private final int nsFd;
    private final List<Channel> listeners = new ArrayList<>();
    private int live;

    public NsForwarder(EventLoop loop, int nsFd) {
        this.loop = loop;
        this.nsFd = nsFd;
    }

    /** Opens the listeners of one {@code -T} value; call before the loop serves traffic. */
    public void forwardTcp(PortSpec spec) throws IOException {
        if (spec.isNone()) {
            return;
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
                    listeners.add(listen(a, port, spec.guestPort(port)));
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
            throw new IOException("option '--tcp-ns': no port of '" + spec + "' could be bound in the namespace: "
                    + String.join(", ", skipped));
        }
        if (!skipped.isEmpty()) {
            log.warn("--tcp-ns '{}': some ports were not bound in the namespace: {}", spec, String.join(", ", skipped));
        }
        log.info("forwarding namespace TCP {} to the host's loopback ({} listeners)", spec, bound);
    }

    private Channel listen(InetAddress addr, int nsPort, int hostPort) throws Exception {
        boolean v6 = addr instanceof Inet6Address;
        InetAddress target = v6 ? LO6 : LO4;
        // The socket must be made inside the namespace; everything after that may happen anywhere.
        EpollServerSocketChannel s = Netns.callIn(nsFd,
                () -> new EpollServerSocketChannel(v6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET));
        s.config().setReuseAddress(true).setBacklog(BACKLOG);
        s.pipeline().addLast(new Acceptor(new InetSocketAddress(target, hostPort)));
        ChannelFuture bound = loop.submit(() -> {
            ChannelFuture reg = loop.register(s);
            return reg.isSuccess() ? s.bind(new InetSocketAddress(addr, nsPort)) : reg;
        }).get();
        bound.syncUninterruptibly();
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
