package dev.sluice.it.impair;

import dev.sluice.core.Counters;
import dev.sluice.core.host.Fds;
import dev.sluice.core.host.Netns;
import dev.sluice.core.host.Tun;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.TapLink;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A tap device in the guest's namespace on one side, Sluice's stream socket on
 * the other (4-byte big-endian length, then the frame), and between them per
 * direction: loss, duplication, reordering (a frame held back by a random
 * extra delay) and a base delay, all drawn from one seeded PRNG on one event
 * loop. At most {@link Impairment#queue()} frames wait per direction; more are
 * dropped and counted.
 */
public final class ImpairRelay implements AutoCloseable {
    /** Levels in parts per million and microseconds. */
    public record Impairment(int lossPpm, int dupPpm, int reorderPpm, int delayMicros, int reorderMicros, int queue,
                             long seed) {
    }

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final IoEventLoop loop = (IoEventLoop) group.next();
    private final Impairment imp;
    private final Random rnd;
    private final Direction toSluice = new Direction();
    private final Direction toGuest = new Direction();
    private TapLink tap;
    private Channel stream;

    /** Frames per direction: passed, lost, duplicated, reordered, dropped for a full queue. */
    public static final class Direction {
        long passed;
        long lost;
        long duplicated;
        long reordered;
        long overflow;
        int waiting;

        @Override
        public String toString() {
            return "passed=" + passed + " lost=" + lost + " dup=" + duplicated + " reordered=" + reordered
                    + " overflow=" + overflow;
        }
    }

    private ImpairRelay(Impairment imp) {
        this.imp = imp;
        this.rnd = new Random(imp.seed());
    }

    /** Opens (creating) tap {@code ifName} in namespace {@code netns}, connects to Sluice's socket, starts relaying. */
    public static ImpairRelay start(String netns, String ifName, int mtu, Path socket, Impairment imp)
            throws Exception {
        ImpairRelay r = new ImpairRelay(imp);
        try {
            r.open(netns, ifName, mtu, socket);
        } catch (Exception | Error e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void open(String netns, String ifName, int mtu, Path socket) throws Exception {
        int nsFd = Netns.open(netns);
        int tapFd;
        try {
            tapFd = Tun.openTap(nsFd, ifName);
        } finally {
            Fds.close(nsFd);
        }
        tap = new TapLink(loop, PooledByteBufAllocator.DEFAULT, tapFd, ifName, mtu, new Counters(), null);
        tap.setHandler(new FrameHandler() {
            @Override
            public void onFrame(ByteBuf frame) {
                impair(frame, toSluice, ImpairRelay.this::writeToSluice);
            }
        });
        stream = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Deframer());
                    }
                })
                .connect(new DomainSocketAddress(socket.toString())).sync().channel();
        tap.start();
    }

    /** Sluice's stream: length-prefixed frames, cut from a cumulation of what each read brought. */
    private final class Deframer extends ChannelInboundHandlerAdapter {
        private ByteBuf acc;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (acc == null) {
                acc = ctx.alloc().directBuffer(256 * 1024);
            }
            acc.writeBytes(in);
            in.release();
            while (acc.readableBytes() >= 4 && acc.readableBytes() >= 4 + acc.getInt(acc.readerIndex())) {
                int len = acc.readInt();
                impair(acc.slice(acc.readerIndex(), len), toGuest, tap::send);
                acc.skipBytes(len);
            }
            acc.discardReadBytes();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (acc != null) {
                acc.release();
                acc = null;
            }
        }
    }

    /** On the loop. {@code frame} stays the caller's; what is sent is a copy the sender releases. */
    private void impair(ByteBuf frame, Direction d, Consumer<ByteBuf> out) {
        if (rnd.nextInt(1_000_000) < imp.lossPpm()) {
            d.lost++;
            return;
        }
        int copies = 1;
        if (rnd.nextInt(1_000_000) < imp.dupPpm()) {
            d.duplicated++;
            copies = 2;
        }
        for (int i = 0; i < copies; i++) {
            if (d.waiting >= imp.queue()) {
                d.overflow++;
                return;
            }
            long delay = imp.delayMicros();
            if (rnd.nextInt(1_000_000) < imp.reorderPpm()) {
                d.reordered++;
                delay += 1 + rnd.nextInt(Math.max(1, imp.reorderMicros()));
            }
            ByteBuf copy = frame.copy(frame.readerIndex(), frame.readableBytes());
            d.waiting++;
            d.passed++;
            if (delay == 0) {
                loop.execute(() -> deliver(d, copy, out));
            } else {
                loop.schedule(() -> deliver(d, copy, out), delay, TimeUnit.MICROSECONDS);
            }
        }
    }

    private static void deliver(Direction d, ByteBuf copy, Consumer<ByteBuf> out) {
        d.waiting--;
        out.accept(copy);
    }

    private void writeToSluice(ByteBuf frame) {
        Channel ch = stream;
        if (ch == null || !ch.isActive()) {
            frame.release();
            return;
        }
        ByteBuf prefix = ch.alloc().directBuffer(4).writeInt(frame.readableBytes());
        ch.write(prefix, ch.voidPromise());
        ch.writeAndFlush(frame, ch.voidPromise());
    }

    /** "to-sluice: passed=... | to-guest: ...", read on the loop. */
    public String stats() {
        try {
            return loop.submit(() -> "to-sluice: " + toSluice + " | to-guest: " + toGuest).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "stats unavailable: " + e;
        }
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (tap != null) {
            tap.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
