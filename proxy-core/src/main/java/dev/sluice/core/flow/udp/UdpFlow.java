package dev.sluice.core.flow.udp;

import dev.sluice.core.flow.FlowKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.ArrayDeque;

/**
 * One UDP flow. The guest side is kept as primitive fields (addresses as the
 * guest used them: replies come from where the guest sent to). The host side
 * is either the flow's own connected socket (a guest-initiated flow: this
 * object is that channel's handler) or a forwarded port's listener plus the
 * peer to answer (an inbound flow). A flow the gate refused stays in the table
 * without a socket, so the gate is asked once per flow, not per datagram.
 */
final class UdpFlow extends ChannelInboundHandlerAdapter {
    enum State { OPEN, REJECTED, DROPPED }

    final UdpFlows owner;
    final FlowKey key;
    final boolean v6;
    final int guest4;
    final int remote4;
    final long guestHi;
    final long guestLo;
    final long remoteHi;
    final long remoteLo;
    final int guestPort;
    final int remotePort;
    final State state;
    /** Inbound flows: the peer replies go to; null for guest-initiated flows. */
    final InetSocketAddress peer;

    Channel ch;
    boolean holdsSlot;
    boolean closed;
    boolean dirty;
    /** The host side sent something: the flow keeps the long idle timeout. */
    boolean answered;
    long lastActive;
    /** Payload length of the last datagram to the host, for a rebuilt quote on ECONNREFUSED. */
    int lastLen;
    /** Datagrams written before the connect completed (it completes at once on epoll; kept for safety). */
    ArrayDeque<ByteBuf> pending;

    // ---- for the control socket (flows listing): plain fields, written on the loop ----
    final long createdAt = System.nanoTime();
    long bytesFromGuest;
    long bytesFromHost;
    /** Guest-initiated flows: where the socket goes and the gate's decision; null for inbound ones. */
    InetSocketAddress mapped;
    dev.sluice.core.flow.GateDecision decision;

    UdpFlow(UdpFlows owner, FlowKey key, boolean v6, int guest4, long guestHi, long guestLo, int guestPort,
            int remote4, long remoteHi, long remoteLo, int remotePort, State state, InetSocketAddress peer) {
        this.owner = owner;
        this.key = key;
        this.v6 = v6;
        this.guest4 = guest4;
        this.guestHi = guestHi;
        this.guestLo = guestLo;
        this.guestPort = guestPort;
        this.remote4 = remote4;
        this.remoteHi = remoteHi;
        this.remoteLo = remoteLo;
        this.remotePort = remotePort;
        this.state = state;
        this.peer = peer;
    }

    boolean inbound() {
        return peer != null;
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (msg instanceof DatagramPacket p) {
            owner.toGuest(this, p.content());
        } else {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext c) {
        owner.flushGuest();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (cause instanceof PortUnreachableException) {
            owner.hostRefused(this);
        } else {
            owner.hostError(this, cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        owner.channelGone(this);
    }

    /** A copy for the control socket's flows listing; on the loop. */
    dev.sluice.core.flow.FlowInfo info(long now) {
        java.net.InetAddress g = v6 ? dev.sluice.core.flow.InetLiterals.fromHalves(guestHi, guestLo)
                : dev.sluice.core.flow.InetLiterals.fromInt(guest4);
        java.net.InetAddress r = v6 ? dev.sluice.core.flow.InetLiterals.fromHalves(remoteHi, remoteLo)
                : dev.sluice.core.flow.InetLiterals.fromInt(remote4);
        Channel c = ch;
        return new dev.sluice.core.flow.FlowInfo("udp", inbound(), new InetSocketAddress(g, guestPort),
                new InetSocketAddress(r, remotePort), mapped,
                c == null ? null : dev.sluice.core.flow.FlowInfo.inet(c.localAddress()),
                inbound() ? peer : c == null ? null : dev.sluice.core.flow.FlowInfo.inet(c.remoteAddress()),
                state.name(), bytesFromGuest, bytesFromHost, (now - createdAt) / 1_000_000L,
                decision == null ? null : decision.plugin(),
                inbound() ? "inbound" : dev.sluice.core.flow.FlowInfo.verdict(decision));
    }

    @Override
    public String toString() {
        return "udp " + key + (inbound() ? " (inbound from " + peer + ")" : "") + " " + state;
    }
}
