package dev.sluice.core.flow.fwd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * One direction of a socket-to-socket splice (both sockets on the one loop): what one
 * side reads the other writes, reading pauses while the other side's buffer is full,
 * and end of input becomes a half-close of the other side's output. The pair closes
 * once both directions have ended, or at once when either side fails. No guest frames
 * are involved: this is pasta's loopback splice, in user space.
 *
 * <p>The accepted side's half is in its pipeline before the host-side connection
 * exists: netty's epoll channels read on EPOLLRDHUP whatever autoRead says, so a client
 * that sends and closes at once would otherwise lose its bytes and its FIN. Until
 * {@link #join} they are held here.
 */
final class TcpSplice extends ChannelInboundHandlerAdapter {
    private Channel self;
    private Channel peer;
    private TcpSplice peerHalf;
    private Runnable onClose;
    private ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private boolean inputDone;
    private boolean closed;

    /** The half of an accepted channel, to add to its pipeline before it is registered. */
    static TcpSplice accepted() {
        return new TcpSplice();
    }

    /** Joins the accepted half (on {@code a}) to the connected host side {@code b}; both start reading. */
    static void join(TcpSplice aHalf, DuplexChannel a, DuplexChannel b, Runnable onClose) {
        Runnable once = new Runnable() {
            private boolean done;

            @Override
            public void run() {
                if (!done) {
                    done = true;
                    onClose.run();
                }
            }
        };
        TcpSplice bHalf = new TcpSplice();
        aHalf.self = a;
        aHalf.peer = b;
        aHalf.peerHalf = bHalf;
        aHalf.onClose = once;
        bHalf.self = b;
        bHalf.peer = a;
        bHalf.peerHalf = aHalf;
        bHalf.onClose = once;
        bHalf.held = null;
        b.pipeline().addLast(bHalf);
        ArrayDeque<ByteBuf> early = aHalf.held;
        aHalf.held = null;
        for (ByteBuf m : early) {
            b.write(m, b.voidPromise());
        }
        b.flush();
        if (aHalf.inputDone) {
            aHalf.inputEnded();
        } else if (!a.isActive()) {
            aHalf.closeBoth();
            return;
        }
        b.config().setAutoRead(true);
        if (!aHalf.inputDone) {
            // after its input ended netty has taken the fd out of epoll's read set: asking
            // for reads again fails (epoll_ctl ENOENT)
            a.config().setAutoRead(true);
        }
    }

    /** The accepted side failed before it was joined: drop what it held. */
    void abandon() {
        if (held != null) {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (peer == null) {
            held.add((ByteBuf) msg);
            return;
        }
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            c.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext c) {
        if (peer != null) {
            peer.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        // our side drained: the peer may read again
        if (peer != null && c.channel().isWritable() && !peerHalf.inputDone) {
            peer.config().setAutoRead(true);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputDone = true;
            if (peer != null) {
                inputEnded();
            }
        } else {
            c.fireUserEventTriggered(evt);
        }
    }

    private void inputEnded() {
        if (peer instanceof DuplexChannel d && peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> d.shutdownOutput());
        }
        if (peerHalf.inputDone) {
            closeBoth();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        if (peer != null) {
            closeBoth();
        } else {
            abandon();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (peer != null) {
            closeBoth();
        } else {
            c.close();
        }
    }

    private void closeBoth() {
        if (closed) {
            return;
        }
        closed = true;
        peerHalf.closed = true;
        // pending data still goes out before the close
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        self.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        onClose.run();
    }
}

