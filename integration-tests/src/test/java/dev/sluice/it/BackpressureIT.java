package dev.sluice.it;

import dev.sluice.core.Counters;
import dev.sluice.core.control.PromText;
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
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a guest that reads slowly makes the stream link push back. The
 * "guest" here is a relay in the test between Sluice's stream socket and a
 * tap in g, reading at most 16 KiB per millisecond; the guest kernel's
 * receive buffer is raised so its window outgrows the socket's buffer and
 * the link's high water mark. Three 16 MiB downloads then arrive sha256-equal,
 * the link was full at times (the flows waited, tcp.link_waits, or frames were kept, link.tx_backpressure) and dropped
 * nothing (link.tx_dropped 0). The tap itself is not tested so: a frame
 * written to a tap is delivered inline by the kernel, which never refuses it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackpressureIT {
    private Topology topo;
    private SluiceProcess sluice;
    private Path tmp;
    private Path socket;
    private Path ctl;
    private String bigSha;
    private final Background bg = new Background();
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private TapLink tap;
    private Channel stream;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        tmp = Files.createTempDirectory(SluiceProcess.workDir(), "backpressure-");
        Path www = Files.createDirectories(tmp.resolve("www"));
        bigSha = Files2.sha256(Files2.random(www, "big", 16L << 20, 32));
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        socket = Path.of("/tmp", "sluice-bp-" + topo.suffix + ".socket");
        ctl = Path.of("/tmp", "sluice-bp-" + topo.suffix + ".ctl");
        sluice = SluiceProcess.start(topo.h, "-s", socket.toString(), "-4", "-m", "1500", "--control", ctl.toString());
        startSlowRelay();
        topo.sh(topo.g, "ip link set tap0 mtu 1500 up && ip addr add 10.77.0.1/24 dev tap0"
                + " && ip route add default via 10.77.0.254"
                + " && sysctl -qw net.ipv4.tcp_rmem='4096 1048576 8388608'");
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':80 '"));
    }

    /** tap0 in g <-> Sluice's socket; towards the tap only one 16 KiB read per millisecond. */
    private void startSlowRelay() throws Exception {
        IoEventLoop loop = (IoEventLoop) group.next();
        int nsFd = Netns.open(topo.g);
        int tapFd;
        try {
            tapFd = Tun.openTap(nsFd, "tap0");
        } finally {
            Fds.close(nsFd);
        }
        tap = new TapLink(loop, PooledByteBufAllocator.DEFAULT, tapFd, "tap0", 1500, new Counters(), null);
        tap.setHandler(new FrameHandler() {
            @Override
            public void onFrame(ByteBuf frame) {
                Channel ch = stream;
                if (ch != null && ch.isActive()) {
                    ByteBuf out = ch.alloc().directBuffer(4 + frame.readableBytes());
                    out.writeInt(frame.readableBytes()).writeBytes(frame, frame.readerIndex(), frame.readableBytes());
                    ch.writeAndFlush(out, ch.voidPromise());
                }
            }
        });
        stream = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(16 << 10).maxMessagesPerRead(1))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Deframer());
                    }
                })
                .connect(new DomainSocketAddress(socket.toString())).sync().channel();
        tap.start();
        loop.scheduleAtFixedRate(() -> stream.read(), 1, 1, TimeUnit.MILLISECONDS);
        // The stream link knows its guest once a frame came; the router solicitation comes soon enough.
    }

    private final class Deframer extends ChannelInboundHandlerAdapter {
        private ByteBuf acc;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (acc == null) {
                acc = ctx.alloc().directBuffer(256 << 10);
            }
            acc.writeBytes(in);
            in.release();
            while (acc.readableBytes() >= 4 && acc.readableBytes() >= 4 + acc.getInt(acc.readerIndex())) {
                int len = acc.readInt();
                tap.send(acc.copy(acc.readerIndex(), len));
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

    @AfterAll
    void stop() throws Exception {
        try {
            if (stream != null) {
                stream.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            if (tap != null) {
                tap.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            bg.close();
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
            Files.deleteIfExists(ctl);
            if (tmp != null) {
                Cmd.run(10, "rm", "-rf", tmp.toString());
            }
        }
    }

    @Test
    void aSlowGuestReaderPushesBackWithoutLoss() throws Exception {
        // Three at once: together their windows outgrow the socket's buffer and the high water mark.
        Cmd.Result down = Cmd.shIn(topo.g, 150, "for i in 1 2 3; do (curl -sS --fail --max-time 140"
                + " http://10.99.0.1/big | sha256sum > " + tmp + "/down-$i) & done; wait; cat " + tmp + "/down-*");
        String[] lines = down.out().trim().split("\n");
        assertEquals(3, lines.length, down.out());
        for (String l : lines) {
            assertEquals(bigSha, l.trim().split("\\s+")[0], "download: " + down.out() + "\n" + sluice.log());
        }
        Map<String, Double> m = PromText.parse(client("metrics", "--control", ctl.toString()).ok().out());
        // The flows check the link before each segment and wait (tcp.link_waits); frames that were
        // already on their way when it filled are kept (link.tx_backpressure). Either shows the push-back.
        double pushed = m.getOrDefault("sluice_events_total{counter=\"link.tx_backpressure\"}", 0.0)
                + m.getOrDefault("sluice_events_total{counter=\"tcp.link_waits\"}", 0.0);
        double dropped = m.getOrDefault("sluice_events_total{counter=\"link.tx_dropped\"}", 0.0);
        System.out.println("[backpressure] link.tx_backpressure + tcp.link_waits " + pushed + ", link.tx_dropped " + dropped);
        assertTrue(pushed > 0, "the link pushed back: " + m);
        assertEquals(0.0, dropped, "nothing dropped");
    }

    private static Cmd.Result client(String... args) {
        List<String> argv = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString()));
        argv.addAll(List.of(args));
        return Cmd.run(30, argv);
    }
}
