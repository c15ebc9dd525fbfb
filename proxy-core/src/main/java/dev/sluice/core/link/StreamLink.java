package dev.sluice.core.link;

import dev.sluice.core.Counters;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.pcap.PcapWriter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * QEMU's {@code -netdev stream} guest link: a UNIX socket server; each frame
 * is preceded by its length as a 4-byte big-endian integer. One guest at a
 * time: while one is attached, further clients are closed. When it leaves,
 * the link waits for the next one, or (one-off) reports that it is finished.
 *
 * <p>Frames to the guest with 4 bytes of headroom before them get their
 * length prefix written there and go to the channel as they are; others are
 * copied, prefix first, into one pooled batch buffer. Either way they wait in
 * netty's outbound buffer (void promises) and leave in one writev per
 * {@link #flush()}. Backpressure: {@link #isWritable()} follows the channel's
 * water marks and the flows wait for {@link #addWritabilityListener
 * writability}; frames sent regardless are kept up to {@link #HARD_LIMIT}
 * bytes pending, and only beyond it dropped (counted).
 *
 * <p>Frames from the guest are passed to the handler in place, as the
 * readable bytes of the read buffer (no slice, no copy); only a frame split
 * across two reads is copied, once, into a carry buffer.
 */
public final class StreamLink implements GuestLink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamLink.class);
    /** The largest length a frame prefix can carry: a 64 KiB IP packet plus an Ethernet header. */
    public static final int MAX_PREFIX_LEN = 65535 + 14;
    private static final int BATCH = 512 * 1024;
    /**
     * How the guest's byte stream is read. QEMU 7.2's stream netdev behind a
     * hub corrupts its stream (and aborts in iov_copy) after any partial write
     * to this socket: its hub delivers the next frame before finishing the
     * partial one. A write goes partial when QEMU's send buffer (wmem_default,
     * ~208 KiB, three 64 KiB frames) is full, i.e. when we fall behind
     * reading. So read up to 1 MiB per read and 64 reads per wakeup (netty's
     * default: 64 KiB and 16), as passt reads its 8 MiB buffer at once.
     */
    static final io.netty.channel.RecvByteBufAllocator READ_ALLOCATOR =
            new io.netty.channel.FixedRecvByteBufAllocator(1 << 20).maxMessagesPerRead(64);
    /**
     * Channel water marks: above HIGH pending bytes the link turns unwritable
     * and the flows stop; below LOW they resume. Small, because every byte
     * here is a byte the flows already took from their host sockets.
     */
    static final int LOW_WATER = 512 << 10;
    static final int HIGH_WATER = 2 << 20;
    /** Pending bytes beyond which frames are dropped (counted): senders that ignore writability (UDP); a TCP flow holds at most 16 MiB for the guest. */
    static final int HARD_LIMIT = 16 << 20;
    /** passt asks INT_MAX/2 for both; the kernel caps at net.core.[rw]mem_max. Ours are 4 MiB. */
    static final int SOCKET_BUFFER = 4 << 20;
    /**
     * The TCP window each flow offers the guest on this link. Fast reading
     * alone does not keep QEMU's writes whole (measured: 5 of 5 runs of a
     * simultaneous 64 MiB upload and download at MTU 65520 through a hub
     * aborted QEMU 7.2, passt 1 of 3); bounding what the guest may have in
     * flight below QEMU's ~208 KiB send buffer does (0 of 4 and 0 of 5 with
     * 96 KiB). The price is upload throughput per flow (window / RTT).
     */
    public static final int GUEST_WINDOW = 96 << 10;

    private final IoEventLoop loop;
    private final LogLimiter extraLog = new LogLimiter();
    private final Path path;
    private final int maxFrame;
    private final PcapWriter pcap;
    private final boolean oneOff;
    private final Runnable onFinished;
    private final ByteBufAllocator alloc;
    private final Counters.Counter rxFrames;
    private final Counters.Counter txFrames;
    private final Counters.Counter rxBadLength;
    private final Counters.Counter txNoGuest;
    private final Counters.Counter txBackpressure;
    private final Counters.Counter extraClients;
    private final Counters.Counter txDropped;
    private final LogLimiter dropLog = new LogLimiter();
    private final java.util.List<Runnable> writabilityListeners = new java.util.ArrayList<>(2);

    private FrameHandler handler;
    private Channel server;
    private Channel guest;
    private ByteBuf batch;

    /**
     * @param mtu        the guest's MTU: longer frames from the guest are dropped and counted
     * @param onFinished called once on the loop when, in one-off mode, the guest has left
     */
    public StreamLink(IoEventLoop loop, ByteBufAllocator alloc, Path path, int mtu, Counters counters,
                      PcapWriter pcap, boolean oneOff, Runnable onFinished) {
        this.loop = loop;
        this.alloc = alloc;
        this.path = path;
        this.maxFrame = mtu + 14;
        this.pcap = pcap;
        this.oneOff = oneOff;
        this.onFinished = onFinished;
        this.rxFrames = counters.get("link.rx_frames");
        this.txFrames = counters.get("link.tx_frames");
        this.rxBadLength = counters.get("link.rx_bad_length");
        this.txNoGuest = counters.get("link.tx_no_guest");
        this.txBackpressure = counters.get("link.tx_backpressure");
        this.extraClients = counters.get("link.extra_clients_refused");
        this.txDropped = counters.get("link.tx_dropped");
    }

    public void setHandler(FrameHandler handler) {
        this.handler = handler;
    }

    public Path path() {
        return path;
    }

    /** Binds the socket (removing a stale one left by a dead process) and starts accepting. */
    public void start() throws IOException {
        ListenPath.claim(path);
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(EpollServerDomainSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                // Drain QEMU's writes in big gulps (passt reads up to 8 MiB at once): see READ_ALLOCATOR.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READ_ALLOCATOR)
                .childOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                .childOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline().addLast(new Framer());
                    }
                });
        try {
            server = b.bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (Exception e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    /** A free default path like passt's: /tmp/sluice_1.socket, _2, ... (stale ones are reused). */
    public static Path defaultPath() throws IOException {
        for (int i = 1; i <= 64; i++) {
            Path p = Path.of("/tmp", "sluice_" + i + ".socket");
            if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) || (ListenPath.isSocket(p) && !ListenPath.isLive(p))) {
                return p;
            }
        }
        throw new IOException("no free socket path /tmp/sluice_N.socket (N up to 64); give one with --socket");
    }

    @Override
    public void send(ByteBuf frame) {
        try {
            Channel g = guest;
            if (g == null || !g.isActive()) {
                txNoGuest.inc();
                return;
            }
            int len = frame.readableBytes();
            if (!g.isWritable()) {
                // Kept (flow control is the flows' job: they wait for writability); dropped only far beyond.
                txBackpressure.inc();
                if (g.bytesBeforeWritable() + LOW_WATER > HARD_LIMIT) {
                    txDropped.inc();
                    if (dropLog.allow()) {
                        log.warn("guest not reading: dropped a frame to it, {} bytes pending (counted in "
                                + "link.tx_dropped; {} more since the last line)", HARD_LIMIT, dropLog.suppressed());
                    }
                    return;
                }
            }
            if (pcap != null) {
                pcap.write(frame);
            }
            txFrames.inc();
            int ri = frame.readerIndex();
            if (ri >= 4 && frame.isDirect() && frame.refCnt() == 1) {
                // The frame's own headroom takes the prefix: no copy. Queued behind any batch so far.
                writeBatch(g);
                frame.setInt(ri - 4, len);
                frame.readerIndex(ri - 4);
                g.write(frame, g.voidPromise());
                frame = null; // the channel releases it
                return;
            }
            if (batch != null && batch.writableBytes() < 4 + len) {
                writeBatch(g);
            }
            if (batch == null) {
                batch = alloc.directBuffer(Math.max(BATCH, 4 + len));
            }
            batch.writeInt(len);
            batch.writeBytes(frame, frame.readerIndex(), len);
        } finally {
            if (frame != null) {
                frame.release();
            }
        }
    }

    /** Queues the copied frames so far on the channel, in order with frames written from headroom. */
    private void writeBatch(Channel g) {
        ByteBuf b = batch;
        if (b != null) {
            batch = null;
            g.write(b, g.voidPromise());
        }
    }

    @Override
    public boolean isWritable() {
        Channel g = guest;
        return g == null || g.isWritable();
    }

    @Override
    public void addWritabilityListener(Runnable listener) {
        writabilityListeners.add(listener);
    }

    @Override
    public void flush() {
        Channel g = guest;
        if (g == null) {
            if (batch != null) {
                batch.release();
                batch = null;
            }
            return;
        }
        writeBatch(g);
        g.flush(); // one writev for all that is queued (netty gathers up to IOV_MAX buffers)
        if (pcap != null) {
            pcap.flush();
        }
    }

    @Override
    public int maxGuestWindow() {
        return GUEST_WINDOW;
    }

    @Override
    public boolean isUp() {
        Channel g = guest;
        return g != null && g.isActive();
    }

    @Override
    public void close() {
        if (batch != null) {
            batch.release();
            batch = null;
        }
        if (guest != null) {
            guest.close();
        }
        if (server == null) {
            return; // never bound: the path, if any, is not ours
        }
        server.close().awaitUninterruptibly();
        try {
            if (ListenPath.isSocket(path)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    /**
     * Splits the byte stream into frames and hands each to the handler in
     * place: the read buffer's readable bytes are set to the frame for the
     * call (no slice object, no copy). A frame split across reads is copied
     * once into a carry buffer (kept for the connection) and handed on from
     * there when its last byte arrives.
     */
    private final class Framer extends ChannelInboundHandlerAdapter {
        /** The start of a frame split across reads (prefix included); null or empty when none. */
        private ByteBuf carry;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (guest != null && guest.isActive()) {
                if (extraLog.allow()) {
                    log.warn("a guest is already attached; closing the new connection (counted in "
                            + "link.extra_clients_refused; {} more since the last line)", extraLog.suppressed());
                }
                extraClients.inc();
                ctx.close();
                return;
            }
            guest = ctx.channel();
            log.info("guest connected to {}", path);
            if (handler != null) {
                handler.onLinkUp();
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (carry != null) {
                carry.release();
                carry = null;
            }
            super.channelInactive(ctx);
            if (guest != ctx.channel()) {
                return;
            }
            guest = null;
            if (batch != null) {
                batch.release();
                batch = null;
            }
            log.info("guest disconnected");
            if (handler != null) {
                handler.onLinkDown();
            }
            if (oneOff) {
                onFinished.run();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                if (carry != null && carry.isReadable() && !completeCarried(ctx, in)) {
                    return; // still incomplete: all of in went into the carry buffer
                }
                decode(ctx, in);
                if (in.isReadable() && ctx.channel().isActive()) {
                    if (carry == null) {
                        carry = ctx.alloc().directBuffer(4 + MAX_PREFIX_LEN);
                    }
                    carry.clear().writeBytes(in);
                }
            } finally {
                in.release();
            }
        }

        /** Moves the rest of the carried frame from in to the carry buffer; true when it was whole and handed on. */
        private boolean completeCarried(ChannelHandlerContext ctx, ByteBuf in) {
            if (carry.readableBytes() < 4) {
                carry.writeBytes(in, Math.min(4 - carry.readableBytes(), in.readableBytes()));
                if (carry.readableBytes() < 4) {
                    return false;
                }
            }
            long len = carry.getUnsignedInt(carry.readerIndex());
            if (len > MAX_PREFIX_LEN) {
                decode(ctx, carry); // says why and closes
                return false;
            }
            int need = (int) (4 + len) - carry.readableBytes();
            int k = Math.min(need, in.readableBytes());
            carry.writeBytes(in, k);
            if (k < need) {
                return false;
            }
            decode(ctx, carry);
            carry.clear();
            return true;
        }

        private void decode(ChannelHandlerContext ctx, ByteBuf in) {
            int end = in.writerIndex();
            while (in.readableBytes() >= 4) {
                int ri = in.readerIndex();
                long len = in.getUnsignedInt(ri);
                if (len > MAX_PREFIX_LEN) {
                    log.error("guest sent a frame length of {} bytes, which no Ethernet frame can have: closing the connection", len);
                    rxBadLength.inc();
                    in.skipBytes(in.readableBytes());
                    ctx.close();
                    return;
                }
                if (in.readableBytes() < 4 + len) {
                    return;
                }
                int n = (int) len;
                if (n == 0 || n > maxFrame) {
                    rxBadLength.inc();
                } else {
                    in.setIndex(ri + 4, ri + 4 + n); // the frame, in place, for the handler's call
                    rxFrames.inc();
                    if (pcap != null) {
                        pcap.write(in);
                    }
                    if (handler != null) {
                        handler.onFrame(in);
                    }
                    in.setIndex(ri, end);
                }
                in.readerIndex(ri + 4 + n);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel() == guest && ctx.channel().isWritable()) {
                for (Runnable r : writabilityListeners) {
                    r.run();
                }
                flush();
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // End of a read batch: send what the handlers queued in one write.
            flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("guest connection error: {}", cause.toString());
            ctx.close();
        }
    }
}
