package dev.sluice.core.link.vhost;

import dev.sluice.core.Counters;
import dev.sluice.core.host.EventFd;
import dev.sluice.core.host.FdPassing;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.pcap.PcapWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.Future;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vhost-user guest link: Sluice is the back-end listening on a UNIX
 * socket, QEMU the front-end that connects, shares the guest's memory and
 * hands over the virtqueues. The listening socket, the connection and the
 * transmit queue's kick eventfd are registered on the one event loop as
 * {@link EpollIoHandle}s: no extra thread. One front-end at a time; when it
 * leaves every mapping and descriptor of its session is released, handlers
 * hear {@link FrameHandler#onLinkDown()}, and the link waits for the next
 * (or, one-off, reports that it is finished).
 */
public final class VhostUserLink implements GuestLink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VhostUserLink.class);
    /** Frames taken from the transmit queue per turn before other work on the loop runs. */
    private static final int TX_BUDGET = 128;

    private final IoEventLoop loop;
    private final Path path;
    private final PcapWriter pcap;
    private final boolean oneOff;
    private final Runnable onFinished;
    private final ByteBuf frameBuf;
    private final ByteBuffer msg = ByteBuffer.allocateDirect(Protocol.HEADER + Protocol.MAX_PAYLOAD)
            .order(ByteOrder.nativeOrder());
    private final long msgAddr = PlatformDependent.directBufferAddress(msg);
    private final ByteBuffer reply = ByteBuffer.allocateDirect(Protocol.HEADER + 64).order(ByteOrder.nativeOrder());
    private final long replyAddr = PlatformDependent.directBufferAddress(reply);
    private final FdPassing.Receiver receiver = new FdPassing.Receiver();
    private final int[] fds = new int[FdPassing.MAX_FDS];
    private final Counters.Counter rxFrames;
    private final Counters.Counter rxBad;
    private final Counters.Counter txFrames;
    private final Counters.Counter txNoGuest;
    private final Counters.Counter txNoBuffers;
    private final Counters.Counter extraClients;

    /** Made once: a method reference or lambda evaluated per batch would allocate per batch. */
    private final java.util.function.Consumer<ByteBuf> guestFrameSink = this::onGuestFrame;
    private final Runnable txAgain = () -> {
        txScheduled = false;
        processTx();
    };
    private FrameHandler handler;
    private Socket server;
    private IoRegistration serverReg;
    private Socket conn;
    private IoRegistration connReg;
    private Session session;
    private int have;
    private int nfds;
    private boolean linkUp;
    private boolean rxPending;
    private boolean txScheduled;
    private long lastBadLog;
    private volatile boolean closed;

    public VhostUserLink(IoEventLoop loop, ByteBufAllocator alloc, Path path, int mtu, Counters counters,
                         PcapWriter pcap, boolean oneOff, Runnable onFinished) {
        this.loop = loop;
        this.path = path;
        this.pcap = pcap;
        this.oneOff = oneOff;
        this.onFinished = onFinished;
        // Room for a frame bigger than the MTU, so an oversized one is refused whole and counted.
        this.frameBuf = alloc.directBuffer(Math.max(mtu + 14, 65535 + 14));
        this.rxFrames = counters.get("link.rx_frames");
        this.rxBad = counters.get("link.rx_bad_buffers");
        this.txFrames = counters.get("link.tx_frames");
        this.txNoGuest = counters.get("link.tx_no_guest");
        this.txNoBuffers = counters.get("link.tx_no_buffers");
        this.extraClients = counters.get("link.extra_clients_refused");
    }

    public void setHandler(FrameHandler handler) {
        this.handler = handler;
    }

    public Path path() {
        return path;
    }

    /** Binds the socket (removing a stale one left by a dead process) and starts accepting. */
    public void start() throws IOException {
        dev.sluice.core.link.ListenPath.claim(path);
        try {
            loop.submit(() -> {
                server = Socket.newSocketDomain();
                server.bind(new DomainSocketAddress(path.toString()));
                server.listen(4);
                serverReg = register(new Handle(server, this::accept));
                return null;
            }).sync();
        } catch (Exception e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    private IoRegistration register(EpollIoHandle h) throws IOException {
        Future<IoRegistration> f = loop.register(h);
        if (!f.isDone()) {
            throw new IOException("registration on the event loop did not complete on the loop");
        }
        if (!f.isSuccess()) {
            throw new IOException("cannot register on the event loop: " + f.cause(), f.cause());
        }
        IoRegistration reg = f.getNow();
        reg.submit(EpollIoOps.EPOLLIN);
        return reg;
    }

    private void accept() {
        while (true) {
            int fd;
            try {
                fd = server.accept(new byte[26]);
            } catch (IOException e) {
                log.warn("vhost-user: accept on {}: {}", path, e.toString());
                return;
            }
            if (fd < 0) {
                return;
            }
            if (conn != null) {
                log.warn("vhost-user: a front-end is already attached; closing the new connection");
                extraClients.inc();
                closeFd(fd);
                continue;
            }
            conn = new Socket(fd);
            have = 0;
            nfds = 0;
            session = new Session(this::watch, this::onTxKick);
            try {
                connReg = register(new Handle(conn, this::readMessages));
            } catch (IOException e) {
                log.warn("vhost-user: {}", e.getMessage());
                disconnect();
                return;
            }
            log.info("vhost-user front-end connected to {}", path);
        }
    }

    private AutoCloseable watch(EventFd fd, Runnable onReadable) throws IOException {
        IoRegistration reg = register(new Handle(new FileDescriptor(fd.fd()), () -> {
            try {
                fd.drain();
            } catch (IOException e) {
                log.debug("vhost-user: kick eventfd: {}", e.toString());
            }
            onReadable.run();
        }));
        return reg::cancel;
    }

    private static void closeFd(int fd) {
        try {
            dev.sluice.core.host.Fds.close(fd);
        } catch (IOException e) {
            log.debug("vhost-user: {}", e.getMessage());
        }
    }

    private void readMessages() {
        while (conn != null) {
            int size = have >= Protocol.HEADER ? msg.getInt(8) : 0;
            int want = have < Protocol.HEADER ? Protocol.HEADER - have : Protocol.HEADER + size - have;
            int n;
            try {
                n = receiver.recv(conn.intValue(), msgAddr + have, want);
            } catch (IOException e) {
                log.warn("vhost-user: reading from the front-end: {}; closing the connection", e.getMessage());
                disconnect();
                return;
            }
            for (int i = 0; i < receiver.fdCount(); i++) {
                if (nfds == fds.length) {
                    receiver.closeReceived();
                    break;
                }
                fds[nfds++] = receiver.fd(i);
            }
            if (n < 0) {
                return;
            }
            if (n == 0) {
                log.info("vhost-user front-end disconnected");
                disconnect();
                return;
            }
            have += n;
            if (have == Protocol.HEADER) {
                int flags = msg.getInt(4);
                size = msg.getInt(8);
                if ((flags & Protocol.VERSION_MASK) != Protocol.VERSION || size < 0 || size > Protocol.MAX_PAYLOAD) {
                    log.error("vhost-user: malformed message header (request {}, flags 0x{}, size {}); closing the "
                            + "connection", msg.getInt(0) & 0xffffffffL, Integer.toHexString(flags), size);
                    disconnect();
                    return;
                }
            }
            if (have >= Protocol.HEADER && have == Protocol.HEADER + msg.getInt(8)) {
                dispatch();
                have = 0;
                nfds = 0;
            }
        }
    }

    private void dispatch() {
        int request = msg.getInt(0);
        int flags = msg.getInt(4);
        int size = msg.getInt(8);
        ByteBuffer payload = msg.slice(Protocol.HEADER, size).order(ByteOrder.nativeOrder());
        int replySize;
        try {
            log.debug("vhost-user: {} ({} bytes, {} fds)", Protocol.name(request), size, nfds);
            replySize = session.handle(request, flags, payload, fds, nfds, reply);
            nfds = 0;
        } catch (Session.ProtocolError e) {
            nfds = 0;
            if ((flags & Protocol.FLAG_NEED_REPLY) != 0 && session.protocolFeature(Protocol.PF_REPLY_ACK)
                    && !Session.hasReply(request)) {
                reply.putLong(Protocol.HEADER, 1L);
                sendReply(request, 8);
            }
            log.error("vhost-user: {}; closing the connection", e.getMessage());
            disconnect();
            return;
        }
        if (replySize < 0 && (flags & Protocol.FLAG_NEED_REPLY) != 0
                && session.protocolFeature(Protocol.PF_REPLY_ACK)) {
            reply.putLong(Protocol.HEADER, 0L);
            replySize = 8;
        }
        if (replySize >= 0 && !sendReply(request, replySize)) {
            return;
        }
        if (!linkUp && session.rxReady()) {
            linkUp = true;
            log.info("vhost-user: guest's queues are running (features 0x{})", Long.toHexString(session.features()));
            if (handler != null) {
                handler.onLinkUp();
            }
        }
    }

    private boolean sendReply(int request, int size) {
        reply.putInt(0, request).putInt(4, Protocol.VERSION | Protocol.FLAG_REPLY).putInt(8, size);
        try {
            int n = conn.sendAddress(replyAddr, 0, Protocol.HEADER + size);
            if (n == Protocol.HEADER + size) {
                return true;
            }
            log.error("vhost-user: short reply write ({} bytes); closing the connection", n);
        } catch (IOException e) {
            log.warn("vhost-user: replying to {}: {}; closing the connection", Protocol.name(request), e.toString());
        }
        disconnect();
        return false;
    }

    private void onTxKick() {
        // Reading the kick resets it; the ring itself says how much work there is.
        Session s = session;
        if (s == null) {
            return;
        }
        processTx();
    }

    private void processTx() {
        Session s = session;
        if (s == null || !s.txReady()) {
            return;
        }
        NetQueues q = s.queues;
        boolean more = q.drainTx(frameBuf, guestFrameSink, TX_BUDGET);
        if (q.txBad > 0) {
            rxBad.add(q.txBad);
            logBad(q.lastError);
        }
        if (session != s) {
            return; // a handler closed the link meanwhile
        }
        q.txRing.publish();
        s.callIfNeeded(NetQueues.TX);
        flush();
        if (more && !txScheduled) {
            txScheduled = true;
            loop.execute(txAgain);
        }
    }

    private void onGuestFrame(ByteBuf f) {
        rxFrames.inc();
        if (pcap != null) {
            pcap.write(f);
        }
        if (handler != null) {
            handler.onFrame(f);
        }
    }

    private void logBad(String why) {
        long now = System.nanoTime();
        if (now - lastBadLog > 1_000_000_000L) {
            lastBadLog = now;
            log.warn("vhost-user: refused a guest buffer: {} (counted in link.rx_bad_buffers)", why);
        }
    }

    @Override
    public void send(ByteBuf frame) {
        try {
            Session s = session;
            if (s == null || !s.rxReady()) {
                txNoGuest.inc();
                return;
            }
            if (pcap != null) {
                pcap.write(frame);
            }
            if (s.queues.deliverRx(frame)) {
                txFrames.inc();
                rxPending = true;
            } else {
                // No room posted by the guest: what a full tap queue does. TCP retransmits.
                txNoBuffers.inc();
                if (s.queues.lastError != null) {
                    rxBad.inc();
                    logBad(s.queues.lastError);
                    s.queues.lastError = null;
                    rxPending = true; // the bad buffer was returned
                }
            }
        } finally {
            frame.release();
        }
    }

    @Override
    public void flush() {
        Session s = session;
        if (rxPending && s != null) {
            rxPending = false;
            s.queues.rxRing.publish();
            s.callIfNeeded(NetQueues.RX);
        }
        if (pcap != null) {
            pcap.flush();
        }
    }

    @Override
    public boolean isUp() {
        Session s = session;
        return s != null && s.rxReady();
    }

    /** Mapped regions of the current front-end (0 when none is attached): for tests and stats. */
    public int mappedRegions() {
        Session s = session;
        return s == null ? 0 : s.mappedRegions();
    }

    private void disconnect() {
        Session s = session;
        session = null;
        rxPending = false;
        for (int i = 0; i < nfds; i++) {
            closeFd(fds[i]);
        }
        nfds = 0;
        have = 0;
        if (s != null) {
            s.close();
        }
        if (connReg != null) {
            connReg.cancel();
            connReg = null;
        }
        if (conn != null) {
            try {
                conn.close();
            } catch (IOException e) {
                log.debug("vhost-user: closing the connection: {}", e.toString());
            }
            conn = null;
        }
        boolean wasUp = linkUp;
        linkUp = false;
        if (wasUp && handler != null) {
            handler.onLinkDown();
        }
        if (oneOff && !closed) {
            onFinished.run();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Runnable r = () -> {
            disconnect();
            if (serverReg != null) {
                serverReg.cancel();
                serverReg = null;
            }
            if (server != null) {
                try {
                    server.close();
                } catch (IOException e) {
                    log.debug("vhost-user: closing {}: {}", path, e.toString());
                }
            }
            if (frameBuf.refCnt() > 0) {
                frameBuf.release();
            }
        };
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.submit(r).awaitUninterruptibly();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    /** One descriptor on the loop: readable (or in error) calls {@code onReadable}. */
    private static final class Handle implements EpollIoHandle {
        private final FileDescriptor fd;
        private final Runnable onReadable;

        Handle(FileDescriptor fd, Runnable onReadable) {
            this.fd = fd;
            this.onReadable = onReadable;
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLERR)
                    || ops.contains(EpollIoOps.EPOLLRDHUP)) {
                onReadable.run();
            }
        }

        @Override
        public void close() {
            // The owner closes the descriptor.
        }
    }
}
