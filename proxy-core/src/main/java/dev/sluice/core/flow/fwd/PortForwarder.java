package dev.sluice.core.flow.fwd;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.AddressMapper;
import dev.sluice.core.flow.DeviceBinder;
import dev.sluice.core.flow.GuestAddresses;
import dev.sluice.core.flow.InetLiterals;
import dev.sluice.core.flow.udp.UdpFlows;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound port forwarding (passt's {@code fwd.c} role for {@code -t}/{@code -u}):
 * host listeners on the event loop, per {@link PortSpec}, IPv4 and IPv6
 * separately (IPv6 sockets are v6-only) for each family the guest has.
 * Accepted TCP connections go to an {@link AcceptHandler}; UDP datagrams go to
 * {@link UdpFlows#deliverInbound}, which keeps the reverse flows.
 *
 * <p>An explicit port that cannot be bound is an error naming it (the CLI
 * exits 2); in {@code all} mode ports in use or not permitted are skipped with
 * one summary warning (count and the first few), and only forwarding nothing at
 * all is an error; when the descriptors run out, the rest are skipped and some
 * listeners are given back so that flows can still open sockets. {@code all}
 * leaves out the ephemeral range ({@code net.ipv4.ip_local_port_range}).
 */
public final class PortForwarder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortForwarder.class);
    /** IPPROTO_IPV6 / IPV6_V6ONLY: netty has no named option for it on epoll. */
    private static final IntegerUnixChannelOption IPV6_V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);
    private static final int BACKLOG = 128;
    /** Ports named in the one skip warning of an {@code all} spec. */
    private static final int SKIPS_NAMED = 5;
    /** Most descriptors an {@code all} spec gives back for flows when it ran out of them. */
    static final int FD_RESERVE = 1024;

    private final SluiceContext ctx;
    private final AddressMapper mapper;
    private final AcceptHandler tcpAccept;
    private final UdpFlows udp;
    private final DeviceBinder binder;
    private final List<Channel> listeners = new ArrayList<>();
    private volatile String lastSkipped;
    private final FixedRecvByteBufAllocator udpRecv = new FixedRecvByteBufAllocator(65536);
    private final Counters.Counter cTcpAccepted;
    private final Counters.Counter cTcpUnmapped;
    private final Counters.Counter cTcpHandlerFailed;

    /**
     * @param tcpAccept where accepted TCP connections go (null when TCP forwarding is not used)
     * @param udp       the UDP translation that carries inbound UDP flows (null when UDP forwarding is not used)
     * @param binder    applies {@code %IFACE} of a spec
     */
    public PortForwarder(SluiceContext ctx, AddressMapper mapper, AcceptHandler tcpAccept, UdpFlows udp,
                         DeviceBinder binder) {
        this.ctx = ctx;
        this.mapper = mapper;
        this.tcpAccept = tcpAccept;
        this.udp = udp;
        this.binder = binder;
        Counters c = ctx.counters();
        cTcpAccepted = c.get("fwd.tcp_accepted");
        cTcpUnmapped = c.get("fwd.tcp_unmapped");
        cTcpHandlerFailed = c.get("fwd.tcp_handler_failed");
    }

    /** Opens the TCP listeners of {@code spec}. From any thread; blocks until they are open. */
    public void forwardTcp(PortSpec spec) throws IOException {
        if (tcpAccept == null) {
            throw new IllegalStateException("TCP forwarding needs an AcceptHandler");
        }
        onLoop(() -> forward(spec, true));
    }

    /** Opens the UDP listeners of {@code spec}. From any thread; blocks until they are open. */
    public void forwardUdp(PortSpec spec) throws IOException {
        if (udp == null) {
            throw new IllegalStateException("UDP forwarding needs UdpFlows");
        }
        onLoop(() -> forward(spec, false));
    }

    /** Listening sockets currently open. */
    public int listenerCount() {
        try {
            return ctx.loop().inEventLoop() ? listeners.size() : ctx.loop().submit(listeners::size).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private void onLoop(Callable<Void> body) throws IOException {
        if (ctx.loop().inEventLoop()) {
            try {
                body.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
            return;
        }
        try {
            ctx.loop().submit(body).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening listeners");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }

    private Void forward(PortSpec spec, boolean tcp) throws IOException {
        if (spec.isNone() || spec.isAuto()) {
            return null; // auto: AutoForwards opens ports as the namespace's listeners come and go
        }
        List<InetAddress> addrs = bindAddresses(spec);
        String proto = tcp ? "TCP" : "UDP";
        if (addrs.isEmpty()) {
            throw new IOException("cannot forward " + proto + " '" + spec + "': the guest has no address of that family");
        }
        if (!spec.isAll()) {
            List<Channel> opened = new ArrayList<>();
            for (int port : spec.hostPorts()) {
                for (InetAddress a : addrs) {
                    try {
                        opened.add(listen(tcp, a, port, spec.guestPort(port), spec.bindInterface()));
                    } catch (IOException | ChannelException e) {
                        opened.forEach(Channel::close);
                        throw new IOException("cannot forward " + proto + " port " + port + " on "
                                + where(a, spec.bindInterface()) + ": " + reason(e), e);
                    }
                }
            }
            listeners.addAll(opened);
            log.info("forwarding {} {} ({} listeners)", proto, spec, opened.size());
            return null;
        }
        int[] eph = ephemeralRange();
        List<Channel> opened = new ArrayList<>();
        int skipped = 0;
        StringBuilder first = new StringBuilder();
        int noted = 0;
        boolean outOfFds = false;
        for (int port = 1; port <= 65535; port++) {
            if (spec.isExcluded(port) || (port >= eph[0] && port <= eph[1])) {
                continue;
            }
            for (InetAddress a : addrs) {
                if (outOfFds) {
                    skipped++; // every later socket(2) would fail the same way
                    continue;
                }
                try {
                    opened.add(listen(tcp, a, port, port, spec.bindInterface()));
                } catch (IOException | ChannelException e) {
                    outOfFds = outOfDescriptors(e);
                    skipped++;
                    if (noted++ < SKIPS_NAMED) {
                        first.append(first.length() > 0 ? ", " : "").append(port).append(' ')
                                .append(where(a, null)).append(" (").append(reason(e)).append(')');
                    }
                }
            }
        }
        int released = 0;
        if (outOfFds) {
            // Listeners took every descriptor: give some back, or no flow could ever open a socket.
            released = Math.min(FD_RESERVE, opened.size() / 4);
            for (int i = 0; i < released; i++) {
                opened.remove(opened.size() - 1).close();
            }
            skipped += released;
        }
        if (opened.isEmpty()) {
            throw new IOException("cannot forward " + proto + " '" + spec + "': no port could be bound"
                    + (first.length() > 0 ? " (" + first + ")" : ""));
        }
        listeners.addAll(opened);
        if (skipped > 0) {
            lastSkipped = proto + " '" + spec + "': " + skipped + " port bindings skipped, " + opened.size()
                    + " listening (first skipped: " + first + ")"
                    + (outOfFds ? "; out of file descriptors, " + released + " given back for flows: raise the "
                    + "limit (ulimit -n) to forward more" : "");
            log.warn("forwarding {}", lastSkipped); // the one warning for the whole spec
        }
        log.info("forwarding {} {} ({} listeners)", proto, spec, opened.size());
        return null;
    }

    /**
     * Host listeners for port (every address of each family the guest has) to the same guest
     * port, for {@code auto}; from any thread. Empty when none could be bound. The caller closes them.
     */
    public List<Channel> openPort(boolean tcp, int port) throws IOException {
        List<Channel> out = new ArrayList<>(2);
        onLoop(() -> {
            for (InetAddress a : bindAddresses(PortSpec.NONE)) {
                try {
                    out.add(listen(tcp, a, port, port, null));
                } catch (IOException | ChannelException e) {
                    log.debug("auto {} port {} on {}: {}", tcp ? "TCP" : "UDP", port, where(a, null), reason(e));
                }
            }
            return null;
        });
        return out;
    }

    /** The skip summary of the last {@code all} spec that skipped something (null: none did). */
    public String lastSkipped() {
        return lastSkipped;
    }

    private List<InetAddress> bindAddresses(PortSpec spec) {
        GuestConfig g = ctx.guest();
        List<InetAddress> out = new ArrayList<>(2);
        InetAddress a = spec.bindAddress();
        if (a != null) {
            if (a instanceof Inet4Address ? g.ipv4() : g.ipv6()) {
                out.add(a);
            }
            return out;
        }
        if (g.ipv4()) {
            out.add(InetLiterals.parse("0.0.0.0"));
        }
        if (g.ipv6()) {
            out.add(InetLiterals.parse("::"));
        }
        return out;
    }

    private Channel listen(boolean tcp, InetAddress addr, int hostPort, int guestPort, String iface)
            throws IOException {
        boolean v6 = addr instanceof Inet6Address;
        SocketProtocolFamily fam = v6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        Channel ch;
        if (tcp) {
            EpollServerSocketChannel s = new EpollServerSocketChannel(fam);
            s.config().setReuseAddress(true).setBacklog(BACKLOG);
            s.pipeline().addLast(new TcpAcceptor(guestPort));
            ch = s;
        } else {
            EpollDatagramChannel d = new EpollDatagramChannel(fam);
            d.config().setRecvByteBufAllocator(udpRecv);
            d.pipeline().addLast(new UdpListener(guestPort));
            ch = d;
        }
        try {
            if (v6) {
                ch.config().setOption(IPV6_V6ONLY, 1);
            }
            if (iface != null) {
                binder.bind(((UnixChannel) ch).fd().intValue(), iface);
            }
            ChannelFuture reg = ctx.loop().register(ch);
            if (!reg.isDone() || !reg.isSuccess()) {
                throw new IOException("cannot register listener: " + reg.cause());
            }
            // On the loop, bind completes before returning (a plain bind(2)).
            ChannelFuture b = ch.bind(new InetSocketAddress(addr, hostPort));
            if (!b.isDone()) {
                throw new IOException("bind did not complete");
            }
            if (!b.isSuccess()) {
                throw b.cause() instanceof IOException io ? io : new IOException(b.cause());
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.unsafe().closeForcibly();
            throw e;
        }
    }

    private static String where(InetAddress a, String iface) {
        String s = a instanceof Inet6Address ? "[" + dev.sluice.api.AddressText.toString(a) + "]"
                : a.getHostAddress();
        return iface != null ? s + "%" + iface : s;
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        // netty: "bind(..) failed: Address already in use", or "... failed with error(-98): ..."
        int i = m != null && m.contains("failed") ? m.lastIndexOf(": ") : -1;
        return i >= 0 ? m.substring(i + 2) : String.valueOf(m);
    }

    private static boolean outOfDescriptors(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("EMFILE") || m.contains("ENFILE"))) {
                return true;
            }
        }
        return false;
    }

    /** The ephemeral port range of the calling thread's network namespace (Linux default when unreadable). */
    static int[] ephemeralRange() {
        // One read from offset 0: sysctl files return EOF to reads at any other offset.
        byte[] buf = new byte[64];
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            int n = in.read(buf);
            String[] r = new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII).trim().split("\\s+");
            return new int[] {Integer.parseInt(r[0]), Integer.parseInt(r[1])};
        } catch (IOException | RuntimeException e) {
            return new int[] {32768, 60999};
        }
    }

    @Override
    public void close() {
        Runnable r = () -> {
            listeners.forEach(Channel::close);
            listeners.clear();
        };
        if (ctx.loop().inEventLoop()) {
            r.run();
        } else {
            try {
                ctx.loop().submit(r).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                log.debug("closing listeners", e);
            }
        }
    }

    /** Hands each accepted connection, registered and not reading yet, to the AcceptHandler. */
    private final class TcpAcceptor extends ChannelInboundHandlerAdapter {
        private final int guestPort;

        TcpAcceptor(int guestPort) {
            this.guestPort = guestPort;
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (!(msg instanceof SocketChannel child)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            InetSocketAddress peer = child.remoteAddress();
            InetAddress visible = peer != null ? mapper.guestVisibleSource(InetLiterals.unmap(peer.getAddress()))
                    : null;
            InetAddress guest = visible != null ? GuestAddresses.pick(ctx, visible) : null;
            if (guest == null) {
                // A loopback peer with --no-map-gw, or no guest address of that family: nowhere to go.
                cTcpUnmapped.inc();
                child.unsafe().closeForcibly();
                return;
            }
            child.config().setAutoRead(false);
            ctx.loop().register(child).addListener(f -> {
                if (!f.isSuccess()) {
                    child.unsafe().closeForcibly();
                    return;
                }
                cTcpAccepted.inc();
                try {
                    tcpAccept.accept(child, new InetSocketAddress(guest, guestPort),
                            new InetSocketAddress(visible, peer.getPort()));
                } catch (RuntimeException e) {
                    cTcpHandlerFailed.inc();
                    log.warn("TCP accept handler failed for {}", peer, e);
                    child.close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            // accept(2) errors (EMFILE...) are reported here; netty keeps the listener open.
            log.debug("TCP listener {}: {}", c.channel().localAddress(), cause.toString());
        }
    }

    /** Passes datagrams of a forwarded UDP port to the UDP translation. */
    private final class UdpListener extends ChannelInboundHandlerAdapter {
        private final int guestPort;

        UdpListener(int guestPort) {
            this.guestPort = guestPort;
        }

        @Override
        public void channelRead(ChannelHandlerContext c, Object msg) {
            if (msg instanceof DatagramPacket p) {
                udp.deliverInbound(c.channel(), p, guestPort);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext c) {
            ctx.link().flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext c) {
            udp.listenerClosed(c.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
            log.debug("UDP listener {}: {}", c.channel().localAddress(), cause.toString());
        }
    }
}
