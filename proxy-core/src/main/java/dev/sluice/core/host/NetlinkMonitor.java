package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live address and link changes: a non-blocking NETLINK_ROUTE socket joined
 * to RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR and RTMGRP_LINK, opened in the
 * calling thread's namespace. Register {@link #fd()} for readability with the
 * owner's event loop and call {@link #drain} when it fires. If the kernel had
 * to drop events (socket buffer full), {@link #overruns()} grows: re-read a
 * {@link HostView} then. Single-threaded, like its owner.
 */
public final class NetlinkMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkMonitor.class);
    /** Datagrams per drain call: a bound, so one burst cannot hold the loop forever. */
    private static final int MAX_DATAGRAMS_PER_DRAIN = 256;

    private final NetlinkSocket socket;
    private long overruns;

    private NetlinkMonitor(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static NetlinkMonitor open() throws IOException {
        return new NetlinkMonitor(NetlinkSocket.open(
                Rtnl.RTMGRP_IPV4_IFADDR | Rtnl.RTMGRP_IPV6_IFADDR | Rtnl.RTMGRP_LINK, true));
    }

    public int fd() {
        return socket.fd();
    }

    /** How many times the kernel reported lost events (ENOBUFS) so far. */
    public long overruns() {
        return overruns;
    }

    /** Reads all pending messages (at most 256 datagrams) and passes address changes to sink. */
    public void drain(Consumer<AddressEvent> sink) throws IOException {
        drain(sink, null);
    }

    /**
     * As {@link #drain(Consumer)}, also passing link changes to linkSink (a link's addresses
     * are not included there; added is false for RTM_DELLINK).
     */
    public void drain(Consumer<AddressEvent> sink, LinkSink linkSink) throws IOException {
        RtnlParser.Visitor v = (type, flags, seq, buf, off, len) -> dispatch(type, buf, off, len, sink, linkSink);
        for (int i = 0; i < MAX_DATAGRAMS_PER_DRAIN; i++) {
            int n = socket.recv();
            if (n == -1) {
                return;
            }
            if (n == -2) {
                overruns++;
                LOG.warn("netlink monitor fell behind: address/link events were lost ({} times so far)", overruns);
                continue;
            }
            if (RtnlParser.walk(socket.rx(), 0, n, v) < 0) {
                LOG.debug("netlink monitor: malformed datagram of {} bytes ignored", n);
            }
        }
    }

    /** Turns one message into an event; anything else (or malformed) is ignored. */
    static void dispatch(int type, ByteBuffer buf, int off, int len, Consumer<AddressEvent> sink, LinkSink linkSink) {
        switch (type) {
            case Rtnl.RTM_NEWADDR, Rtnl.RTM_DELADDR -> {
                HostAddress a = RtnlParser.address(buf, off, len);
                if (a != null) {
                    sink.accept(new AddressEvent(type == Rtnl.RTM_NEWADDR, a));
                }
            }
            case Rtnl.RTM_NEWLINK, Rtnl.RTM_DELLINK -> {
                if (linkSink != null) {
                    RtnlParser.Link l = RtnlParser.link(buf, off, len);
                    if (l != null) {
                        linkSink.link(type == Rtnl.RTM_NEWLINK, l.withAddresses(java.util.List.of()));
                    }
                }
            }
            default -> { }
        }
    }

    @Override
    public void close() {
        socket.close();
    }

    /** Receives link changes. */
    @FunctionalInterface
    public interface LinkSink {
        void link(boolean added, HostInterface link);
    }
}
