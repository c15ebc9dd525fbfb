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
 * <p>Frames to the guest are copied, length prefix first, into one pooled
 * batch buffer that is written once per {@link #flush()}: many frames per
 * write, no per-frame allocation.
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
            new io.netty.channel.AdaptiveRecvByteBufAllocator(64 << 10, 256 << 10, 1 << 20).maxMessagesPerRead(64);
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
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 16 << 20))
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
            if (!g.isWritable()) {
                // QEMU is not reading: dropping here is what a full queue does;
                // TCP flows retransmit from their own buffers.
                txBackpressure.inc();
                return;
            }
            int len = frame.readableBytes();
            if (batch != null && batch.writableBytes() < 4 + len) {
                flush();
            }
            if (batch == null) {
                batch = alloc.directBuffer(Math.max(BATCH, 4 + len));
            }
            if (pcap != null) {
                pcap.write(frame);
            }
            batch.writeInt(len);
            batch.writeBytes(frame, frame.readerIndex(), len);
            txFrames.inc();
        } finally {
            frame.release();
        }
    }

    @Override
    public void flush() {
        ByteBuf b = batch;
        if (b == null) {
            return;
        }
        batch = null;
        Channel g = guest;
        if (g == null || !b.isReadable()) {
            b.release();
            return;
        }
        g.writeAndFlush(b, g.voidPromise());
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
     * Splits the byte stream into frames and hands each to the handler as a
     * slice of the receive buffer. A partial frame at the end of a read is
     * kept in a cumulation buffer until the rest arrives.
     */
    private final class Framer extends ChannelInboundHandlerAdapter {
        private ByteBuf cumulation;

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
            if (cumulation != null) {
                cumulation.release();
                cumulation = null;
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
                if (cumulation != null) {
                    if (cumulation.writableBytes() < in.readableBytes()) {
                        ByteBuf bigger = ctx.alloc().directBuffer(cumulation.readableBytes() + in.readableBytes());
                        bigger.writeBytes(cumulation);
                        cumulation.release();
                        cumulation = bigger;
                    }
                    cumulation.writeBytes(in);
                    decode(ctx, cumulation);
                    if (!cumulation.isReadable()) {
                        cumulation.release();
                        cumulation = null;
                    } else {
                        cumulation.discardReadBytes();
                    }
                } else {
                    decode(ctx, in);
                    if (in.isReadable() && ctx.channel().isActive()) {
                        cumulation = ctx.alloc().directBuffer(Math.max(in.readableBytes(), 4 + maxFrame));
                        cumulation.writeBytes(in);
                    }
                }
            } finally {
                in.release();
            }
        }

        private void decode(ChannelHandlerContext ctx, ByteBuf in) {
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
                    ByteBuf frame = in.slice(ri + 4, n);
                    rxFrames.inc();
                    if (pcap != null) {
                        pcap.write(frame);
                    }
                    if (handler != null) {
                        handler.onFrame(frame);
                    }
                }
                in.skipBytes(4 + n);
            }
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
