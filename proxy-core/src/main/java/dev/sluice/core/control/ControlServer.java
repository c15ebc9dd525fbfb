package dev.sluice.core.control;

import dev.sluice.core.Counters;
import dev.sluice.core.plugin.AuditEvent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a UNIX stream socket, mode 0600, answering one request
 * per connection ({@link Request}).
 *
 * <p>Why an event loop of its own ({@code sluice-control}, one thread) rather
 * than the packet loop: accepting, reading requests, rendering thousands of
 * flows as text or JSON and writing to clients that may read slowly are all
 * work the packet loop must never wait for. The packet loop runs only
 * {@link LoopState#take} (a bounded copy), and at most one at a time: while
 * one is in flight, or for {@link #REUSE_MILLIS} after it, every request is
 * served from it, so a hundred clients asking at once cost one copy.
 *
 * <p>Limits: a request line of {@link Request#MAX_LENGTH} bytes within
 * {@link #REQUEST_SECONDS}; at most {@link #MAX_CLIENTS} connections; answers
 * are written as the client reads (netty's writability: {@code flows json}
 * is rendered line by line, about {@link #HIGH_WATER} bytes in flight per
 * client; the text answers are written whole, bounded by
 * {@link Snapshot#MAX_FLOWS}), and
 * a client that has not read its answer within {@link #ANSWER_SECONDS} is
 * dropped; an {@code audit follow} client whose buffer is full when an event
 * comes is dropped. Access: the socket is created 0600 inside a private
 * directory and renamed into place (no moment when it is open to others), and
 * each peer's uid (SO_PEERCRED) must be ours or root's.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    static final int MAX_CLIENTS = 128;
    static final long REUSE_MILLIS = 50;
    static final int REQUEST_SECONDS = 5;
    static final int ANSWER_SECONDS = 30;
    static final int HIGH_WATER = 64 * 1024;

    final Snapshot.Facts facts;
    private final LoopState state;
    private final IoEventLoop packetLoop;
    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop ctl;
    private final Path path;
    final int uid = ControlPaths.uid();
    final Counters.Counter cRefused;
    final Counters.Counter cDropped;
    final Counters.Counter cBadRequests;
    private Channel server;
    private AuditFile auditFile;
    private MetricsHttp http;

    // control loop only
    private Snapshot latest;
    private long latestAt;
    private List<Consumer<Snapshot>> waiting;
    int clients;
    final Set<Follower> followers = new LinkedHashSet<>();
    /** Read on the packet loop: events are handed over only while someone follows. */
    volatile int followerCount;

    record Follower(Channel ch, boolean json) {
    }

    private ControlServer(Snapshot.Facts facts, LoopState state, IoEventLoop packetLoop, Path path, Counters counters) {
        this.facts = facts;
        this.state = state;
        this.packetLoop = packetLoop;
        this.path = path;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-control", true),
                EpollIoHandler.newFactory());
        this.ctl = group.next();
        this.cRefused = counters.get("control.refused");
        this.cDropped = counters.get("control.slow_client_dropped");
        this.cBadRequests = counters.get("control.bad_requests");
    }

    /**
     * Starts what {@code cc} asks for: the control socket (unless disabled), the
     * audit file, the metrics endpoint.
     *
     * @throws IOException with a message naming the option at fault
     */
    public static ControlServer start(ControlConfig cc, Snapshot.Facts facts, LoopState state, IoEventLoop packetLoop,
                                      Counters counters) throws IOException {
        ControlServer s = new ControlServer(facts, state, packetLoop, facts.controlPath(), counters);
        try {
            if (cc.enabled()) {
                try {
                    s.bind(cc.socket() == null);
                } catch (IOException e) {
                    if (cc.socket() != null) {
                        throw e;
                    }
                    // The default place is a convenience: its trouble must not stop the guest's networking.
                    log.warn("no control socket: {}", e.getMessage());
                }
            }
            if (cc.auditLog() != null) {
                try {
                    s.auditFile = new AuditFile(cc.auditLog(), AuditFile.MAX_BYTES, AuditFile.KEEP);
                } catch (IOException e) {
                    throw new IOException("option '--audit-log': cannot open " + cc.auditLog() + ": " + e, e);
                }
            }
            if (cc.metricsListen() != null) {
                try {
                    s.http = MetricsHttp.start(cc.metricsListen(), s);
                } catch (IOException e) {
                    throw new IOException("option '--metrics-listen': cannot listen on "
                            + Render.addr(cc.metricsListen()) + ": " + e.getMessage(), e);
                }
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    public Path path() {
        return server != null ? path : null;
    }

    /** For the chain: audit events, on the packet loop; hands them on without blocking. */
    public AuditEvent.Listener auditListener() {
        return e -> {
            AuditFile f = auditFile;
            if (f != null) {
                f.offer(e);
            }
            if (followerCount > 0) {
                ctl.execute(() -> broadcast(e));
            }
        };
    }

    private void bind(boolean defaultPath) throws IOException {
        String opt = "option '--control': ";
        Path dir = path.toAbsolutePath().getParent();
        if (defaultPath) {
            try {
                ControlPaths.ensurePrivateDir(dir);
            } catch (IOException e) {
                throw new IOException(opt + "cannot use " + dir + " for the control socket: " + e.getMessage()
                        + " (give --control PATH, or --control none)", e);
            }
        } else if (!Files.isDirectory(dir)) {
            throw new IOException(opt + "directory " + dir + " does not exist");
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (answers(path)) {
                throw new IOException(opt + path + " is in use by a running instance");
            }
            Files.delete(path); // left by an instance that died
        }
        // Bind in a private directory, restrict, then rename into place: never reachable with wider rights.
        Path tmp = Files.createTempDirectory(dir, ".sluice-ctl-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path inTmp = tmp.resolve("s");
        try {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    // A client may send its request and shut its side ("echo status | socat ..."): still answer.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(HIGH_WATER / 2, HIGH_WATER))
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new ControlConnection(ControlServer.this));
                        }
                    });
            try {
                server = b.bind(new DomainSocketAddress(inTmp.toString())).sync().channel();
            } catch (Exception e) {
                throw new IOException(opt + "cannot bind " + path + ": " + e.getMessage(), e);
            }
            Files.setPosixFilePermissions(inTmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(inTmp, path, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(inTmp);
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether something listens at {@code p} (a live instance), as opposed to a stale file. */
    static boolean answers(Path p) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(p));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The latest snapshot: reused when younger than {@link #REUSE_MILLIS},
     * otherwise one copy on the packet loop, shared by everyone who asks
     * meanwhile. Any thread.
     */
    public CompletableFuture<Snapshot> snapshot() {
        CompletableFuture<Snapshot> f = new CompletableFuture<>();
        ctl.execute(() -> withSnapshot(f::complete));
        return f;
    }

    /** Control loop only. */
    void withSnapshot(Consumer<Snapshot> use) {
        long now = System.nanoTime();
        if (latest != null && now - latestAt < TimeUnit.MILLISECONDS.toNanos(REUSE_MILLIS)) {
            use.accept(latest);
            return;
        }
        if (waiting != null) {
            waiting.add(use);
            return;
        }
        waiting = new ArrayList<>();
        waiting.add(use);
        packetLoop.submit(state::take).addListener(fut -> ctl.execute(() -> {
            List<Consumer<Snapshot>> w = waiting;
            waiting = null;
            if (!fut.isSuccess()) {
                log.warn("control: snapshot failed: {}", fut.cause().toString());
                for (Consumer<Snapshot> c : w) {
                    c.accept(null);
                }
                return;
            }
            latest = (Snapshot) fut.getNow();
            latestAt = System.nanoTime();
            for (Consumer<Snapshot> c : w) {
                c.accept(latest);
            }
        }));
    }

    String metrics(Snapshot s) {
        return Prometheus.render(facts, s);
    }

    private void broadcast(AuditEvent e) {
        String text = null;
        String json = null;
        for (Iterator<Follower> it = followers.iterator(); it.hasNext(); ) {
            Follower f = it.next();
            if (!f.ch().isActive()) {
                it.remove();
                continue;
            }
            if (!f.ch().isWritable()) {
                // It does not read: drop it rather than buffer without bound.
                cDropped.inc();
                log.info("control: dropping an audit follower that does not keep up");
                it.remove();
                f.ch().close();
                continue;
            }
            String line;
            if (f.json()) {
                line = json != null ? json : (json = Render.auditJson(e));
            } else {
                line = text != null ? text : (text = Render.auditText(e));
            }
            f.ch().writeAndFlush(ByteBufUtil.writeUtf8(f.ch().alloc(), line), f.ch().voidPromise());
        }
        followerCount = followers.size();
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (server != null) {
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            try {
                Files.deleteIfExists(path);
            } catch (java.nio.file.AccessDeniedException e) {
                // an explicit --control in a directory root kept for itself, after leaving root:
                // the stale socket is ignored by clients (its pid is gone) and replaced by the
                // next instance (docs/operations.md)
                log.debug("cannot remove {} after leaving root; it is stale now", path);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", path, e.toString());
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        if (auditFile != null) {
            auditFile.close();
        }
    }
}
