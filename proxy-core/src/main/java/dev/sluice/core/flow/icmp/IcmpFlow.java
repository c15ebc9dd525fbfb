package dev.sluice.core.flow.icmp;

import dev.sluice.core.flow.FlowKey;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;

/**
 * One echo flow: (guest address, echo identifier, destination as sent), its
 * ping socket registered on the event loop's epoll as an {@link EpollIoHandle}
 * (no channel, no extra thread), or, when the gate refused it, no socket at all.
 */
final class IcmpFlow implements EpollIoHandle {
    enum State { OPEN, REJECTED, DROPPED }

    final IcmpFlows owner;
    final FlowKey key;
    final boolean v6;
    final int guest4;
    final int remote4;
    final long guestHi;
    final long guestLo;
    final long remoteHi;
    final long remoteLo;
    final int guestId;
    final State state;

    /** The mapped destination's bytes: where echoes go, and the only source accepted for replies. */
    byte[] target;
    int fd = -1;
    FileDescriptor fdObject;
    IoRegistration registration;
    boolean fdClosed;
    boolean closed;
    boolean holdsSlot;
    long lastActive;

    // ---- for the control socket (flows listing): plain fields, written on the loop ----
    final long createdAt = System.nanoTime();
    long bytesFromGuest;
    long bytesFromHost;
    dev.sluice.core.flow.GateDecision decision;

    IcmpFlow(IcmpFlows owner, FlowKey key, boolean v6, int guest4, long guestHi, long guestLo, int guestId,
             int remote4, long remoteHi, long remoteLo, State state) {
        this.owner = owner;
        this.key = key;
        this.v6 = v6;
        this.guest4 = guest4;
        this.guestHi = guestHi;
        this.guestLo = guestLo;
        this.guestId = guestId;
        this.remote4 = remote4;
        this.remoteHi = remoteHi;
        this.remoteLo = remoteLo;
        this.state = state;
    }

    @Override
    public FileDescriptor fd() {
        return fdObject;
    }

    @Override
    public void handle(IoRegistration reg, IoEvent event) {
        owner.readReplies(this);
    }

    /** Called by the event loop when it shuts down with the socket still registered. */
    @Override
    public void close() {
        owner.closeFd(this);
    }

    /** A copy for the control socket's flows listing; on the loop. */
    dev.sluice.core.flow.FlowInfo info(long now) {
        java.net.InetAddress g = v6 ? dev.sluice.core.flow.InetLiterals.fromHalves(guestHi, guestLo)
                : dev.sluice.core.flow.InetLiterals.fromInt(guest4);
        java.net.InetAddress r = v6 ? dev.sluice.core.flow.InetLiterals.fromHalves(remoteHi, remoteLo)
                : dev.sluice.core.flow.InetLiterals.fromInt(remote4);
        java.net.InetSocketAddress m = null;
        if (target != null) {
            try {
                m = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(target), 0);
            } catch (java.net.UnknownHostException e) {
                // cannot happen for 4 or 16 bytes
            }
        }
        return new dev.sluice.core.flow.FlowInfo(v6 ? "icmpv6" : "icmp", false, new java.net.InetSocketAddress(g, guestId),
                new java.net.InetSocketAddress(r, 0), m, null, null, state.name(), bytesFromGuest, bytesFromHost,
                (now - createdAt) / 1_000_000L, decision == null ? null : decision.plugin(),
                dev.sluice.core.flow.FlowInfo.verdict(decision));
    }

    @Override
    public String toString() {
        return (v6 ? "icmpv6 " : "icmp ") + key + " id " + guestId + " " + state;
    }
}
