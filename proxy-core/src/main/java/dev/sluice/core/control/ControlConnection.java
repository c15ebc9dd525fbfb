package dev.sluice.core.control;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One client connection: the peer check, one request, its answer. On the control loop. */
final class ControlConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ControlConnection.class);
    private final ControlServer s;

    private boolean requested;
    private boolean counted;
    /** The request line so far (no codec module: the line is short and read once). */
    private final StringBuilder line = new StringBuilder();
    /** The request and answer deadlines, cancelled when the client leaves (many short connections). */
    private io.netty.util.concurrent.ScheduledFuture<?> requestTimer;
    private io.netty.util.concurrent.ScheduledFuture<?> answerTimer;
    private Iterator<String> pending;

    ControlConnection(ControlServer server) {
        this.s = server;
    }

    @Override
    public void channelActive(ChannelHandlerContext c) {
        EpollDomainSocketChannel ch = (EpollDomainSocketChannel) c.channel();
        int peer;
        try {
            peer = ch.peerCredentials().uid();
        } catch (IOException e) {
            peer = -1;
        }
        if (peer != s.uid && peer != 0) {
            s.cRefused.inc();
            log.warn("control: refused a client with uid {} (only uid {} and root may connect)", peer, s.uid);
            fail(c, "permission denied: uid " + peer + " is neither the instance's owner (" + s.uid + ") nor root");
            return;
        }
        if (s.clients >= ControlServer.MAX_CLIENTS) {
            s.cRefused.inc();
            fail(c, "too many control connections (" + ControlServer.MAX_CLIENTS + "); try again");
            return;
        }
        s.clients++;
        counted = true;
        requestTimer = c.executor().schedule(() -> {
            if (!requested) {
                fail(c, "no request within " + ControlServer.REQUEST_SECONDS + " s; " + Request.USAGE);
            }
        }, ControlServer.REQUEST_SECONDS, TimeUnit.SECONDS);
        c.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        if (counted) {
            counted = false;
            s.clients--;
        }
        if (requestTimer != null) {
            requestTimer.cancel(false);
        }
        if (answerTimer != null) {
            answerTimer.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        String text = null;
        try {
            if (requested) {
                return; // one request per connection; later bytes are ignored
            }
            while (in.isReadable()) {
                byte b = in.readByte();
                if (b == '\n') {
                    int n = line.length();
                    text = (n > 0 && line.charAt(n - 1) == '\r' ? line.substring(0, n - 1) : line.toString());
                    break;
                }
                if (line.length() >= Request.MAX_LENGTH) {
                    requested = true;
                    s.cBadRequests.inc();
                    fail(c, "request longer than " + Request.MAX_LENGTH + " bytes; " + Request.USAGE);
                    return;
                }
                line.append((char) (b & 0xff));
            }
        } finally {
            in.release();
        }
        if (text == null) {
            return;
        }
        requested = true;
        Request r;
        try {
            r = Request.parse(text);
        } catch (IllegalArgumentException e) {
            s.cBadRequests.inc();
            fail(c, e.getMessage());
            return;
        }
        if (r.kind() == Request.Kind.AUDIT) {
            s.followers.add(new ControlServer.Follower(c.channel(), r.json()));
            s.followerCount = s.followers.size();
            return;
        }
        answerTimer = c.executor().schedule(() -> {
            if (c.channel().isActive()) {
                s.cDropped.inc();
                c.close();
            }
        }, ControlServer.ANSWER_SECONDS, TimeUnit.SECONDS);
        s.withSnapshot(snap -> answer(c, r, snap));
    }

    private void answer(ChannelHandlerContext c, Request r, Snapshot snap) {
        if (!c.channel().isActive()) {
            return;
        }
        if (snap == null) {
            fail(c, "the instance could not take a snapshot");
            return;
        }
        switch (r.kind()) {
            case STATUS -> send(c, List.of(r.json() ? Render.statusJson(s.facts, snap) : Render.statusText(s.facts, snap)));
            case METRICS -> send(c, List.of(Prometheus.render(s.facts, snap)));
            default -> {
                if (r.json()) {
                    // Rendered line by line as the client reads: the snapshot is shared, the text is not.
                    Iterator<dev.sluice.core.flow.FlowInfo> it = snap.flows().stream()
                            .filter(f -> Render.matches(f, r.proto())).iterator();
                    pending = new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return it.hasNext();
                        }

                        @Override
                        public String next() {
                            return Render.flowJson(it.next());
                        }
                    };
                    drain(c);
                } else {
                    // Columns are aligned over all rows: the table is rendered at once (bounded by MAX_FLOWS).
                    send(c, List.of(Render.flowsText(snap.flows().stream().filter(f -> Render.matches(f, r.proto()))
                            .toList(), snap.flowsTruncated())));
                }
            }
        }
    }

    private void send(ChannelHandlerContext c, List<String> parts) {
        pending = parts.iterator();
        drain(c);
    }

    /** Writes while the channel takes more; the rest when it becomes writable again; then closes. */
    private void drain(ChannelHandlerContext c) {
        Channel ch = c.channel();
        while (pending.hasNext() && ch.isWritable()) {
            ch.write(ByteBufUtil.writeUtf8(ch.alloc(), pending.next()), ch.voidPromise());
        }
        if (!pending.hasNext()) {
            pending = null;
            ch.writeAndFlush(ch.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.flush();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent && !requested) {
            requested = true;
            s.cBadRequests.inc();
            fail(c, "no complete request line; " + Request.USAGE);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        if (pending != null && c.channel().isWritable()) {
            drain(c);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        log.debug("control: client error: {}", cause.toString());
        c.close();
    }

    private void fail(ChannelHandlerContext c, String message) {
        Channel ch = c.channel();
        ch.writeAndFlush(ByteBufUtil.writeUtf8(ch.alloc(), "error: " + message + "\n"))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
