package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * A NETLINK_ROUTE socket: dumps and acknowledged requests on a blocking
 * socket (with a receive timeout, so nothing waits forever), or multicast
 * reception on a non-blocking one. Not thread-safe; the socket belongs to the
 * network namespace of the thread that opened it.
 */
final class NetlinkSocket implements AutoCloseable {
    /** Kernel dump datagrams are at most 32 KiB; MSG_TRUNC tells us if one was larger. */
    static final int RECV_SIZE = 64 * 1024;
    private static final int TIMEOUT_SECONDS = 5;
    /** Bound on datagrams per dump: far beyond any real table, small enough to stop a runaway. */
    private static final int MAX_DATAGRAMS = 100_000;
    private static final int MAX_DUMP_ATTEMPTS = 3;

    private final int fd;
    private final ByteBuffer rx = Native.direct(RECV_SIZE);
    private final ByteBuffer tx = Native.direct(RtnlWriter.MAX_REQUEST);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private NetlinkSocket(int fd) {
        this.fd = fd;
    }

    /** Opens a NETLINK_ROUTE socket in the calling thread's namespace, joined to the given multicast groups. */
    static NetlinkSocket open(int groups, boolean nonBlocking) throws IOException {
        int type = Native.SOCK_RAW | Native.SOCK_CLOEXEC | (nonBlocking ? Native.SOCK_NONBLOCK : 0);
        int fd = Native.LIBC.socket(Native.AF_NETLINK, type, Rtnl.NETLINK_ROUTE);
        if (fd < 0) {
            throw Native.failure("socket(AF_NETLINK)");
        }
        try {
            ByteBuffer sa = Native.direct(12); // sockaddr_nl: u16 family, u16 pad, u32 pid (0: kernel picks), u32 groups
            sa.putShort(0, (short) Native.AF_NETLINK);
            sa.putInt(8, groups);
            int rc = Native.LIBC.bind(fd, Native.address(sa), 12);
            Reference.reachabilityFence(sa);
            if (rc != 0) {
                throw Native.failure("bind(AF_NETLINK)");
            }
            if (!nonBlocking) {
                ByteBuffer tv = Native.direct(16); // struct timeval: s64 sec, s64 usec
                tv.putLong(0, TIMEOUT_SECONDS);
                rc = Native.LIBC.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVTIMEO, Native.address(tv), 16);
                Reference.reachabilityFence(tv);
                if (rc != 0) {
                    throw Native.failure("setsockopt(SO_RCVTIMEO)");
                }
            }
            if (groups != 0) {
                // A monitor that falls behind loses events (ENOBUFS): give it room for bursts.
                ByteBuffer size = Native.direct(4);
                size.putInt(0, 1 << 20);
                Native.LIBC.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUF, Native.address(size), 4);
                Reference.reachabilityFence(size);
            }
            return new NetlinkSocket(fd);
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(fd);
            throw e;
        }
    }

    int fd() {
        return fd;
    }

    int nextSeq() {
        seq = (seq + 1) & 0x7fffffff;
        return seq;
    }

    /** The transmit buffer requests are built in (see {@link RtnlWriter}). */
    ByteBuffer tx() {
        return tx;
    }

    /** The receive buffer; valid from 0 to the length the last {@link #recv} returned. */
    ByteBuffer rx() {
        return rx;
    }

    /** Sends tx[0, limit). */
    void send() throws IOException {
        int len = tx.limit();
        for (int attempt = 0; attempt < 3; attempt++) {
            long n = Native.LIBC.send(fd, Native.address(tx), len, 0);
            if (n == len) {
                return;
            }
            if (n >= 0) {
                throw new IOException("netlink send: short write " + n + " of " + len);
            }
            if (Native.errno() != Native.EINTR) {
                break;
            }
        }
        throw Native.failure("netlink send");
    }

    /**
     * Receives one datagram into rx. Returns its length, -1 if none is pending (non-blocking
     * socket) or -2 if the kernel dropped messages for lack of buffer space (ENOBUFS).
     */
    int recv() throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            long n = Native.LIBC.recv(fd, Native.address(rx), RECV_SIZE, Native.MSG_TRUNC);
            if (n > RECV_SIZE) {
                throw new IOException("netlink datagram of " + n + " bytes truncated");
            }
            if (n >= 0) {
                return (int) n;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return -1;
            }
            if (errno == Native.ENOBUFS) {
                return -2;
            }
            if (errno != Native.EINTR) {
                throw Native.failure("netlink recv", errno);
            }
        }
        throw new IOException("netlink recv: interrupted repeatedly");
    }

    /**
     * Runs a dump built by {@code request} (which writes into tx with the given seq) and passes
     * each reply message to the visitor. A dump the kernel marks inconsistent
     * (NLM_F_DUMP_INTR, a table changed meanwhile) is restarted, up to three times;
     * {@code restart} runs before each new attempt so the caller can forget partial results.
     */
    void dump(java.util.function.IntConsumer request, Runnable restart, RtnlParser.Visitor visitor)
            throws IOException {
        for (int attempt = 0; attempt < MAX_DUMP_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                restart.run();
            }
            int s = nextSeq();
            request.accept(s);
            send();
            if (readDump(s, visitor)) {
                return;
            }
        }
        throw new IOException("netlink dump kept being interrupted by concurrent changes");
    }

    /** Reads replies with sequence s until NLMSG_DONE; false if the dump was interrupted. */
    private boolean readDump(int s, RtnlParser.Visitor visitor) throws IOException {
        DumpState st = new DumpState(s, visitor);
        for (int i = 0; i < MAX_DATAGRAMS && !st.done; i++) {
            int n = recv();
            if (n == -1) {
                throw new IOException("netlink dump: no reply within " + TIMEOUT_SECONDS + " s");
            }
            if (n == -2) {
                throw new IOException("netlink dump: receive buffer overrun");
            }
            if (RtnlParser.walk(rx, 0, n, st) < 0) {
                throw new IOException("netlink dump: malformed reply");
            }
            if (st.error != 0) {
                throw Native.failure("netlink dump", -st.error);
            }
        }
        if (!st.done) {
            throw new IOException("netlink dump: no NLMSG_DONE after " + MAX_DATAGRAMS + " datagrams");
        }
        return !st.interrupted;
    }

    /** Sends the request in tx (built with NLM_F_ACK and sequence s) and waits for its ack. */
    void request(int s, String what) throws IOException {
        send();
        int[] result = {Integer.MIN_VALUE};
        RtnlParser.Visitor v = (type, flags, mseq, buf, off, len) -> {
            if (mseq == s && type == Rtnl.NLMSG_ERROR) {
                result[0] = RtnlParser.error(buf, off, len);
            }
        };
        for (int i = 0; i < 64 && result[0] == Integer.MIN_VALUE; i++) {
            int n = recv();
            if (n == -1) {
                throw new IOException(what + ": no netlink ack within " + TIMEOUT_SECONDS + " s");
            }
            if (n > 0 && RtnlParser.walk(rx, 0, n, v) < 0) {
                throw new IOException(what + ": malformed netlink reply");
            }
        }
        if (result[0] == Integer.MIN_VALUE || result[0] > 0) {
            throw new IOException(what + ": no valid netlink ack");
        }
        if (result[0] < 0) {
            throw new NetlinkException(what, -result[0]);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.closeQuietly(fd);
        }
    }

    /** An rtnetlink request the kernel refused; {@link #errno()} says why. */
    static final class NetlinkException extends IOException {
        private final int errno;

        NetlinkException(String what, int errno) {
            super(what + ": " + Native.errnoText(errno));
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    private static final class DumpState implements RtnlParser.Visitor {
        final int seq;
        final RtnlParser.Visitor next;
        boolean done;
        boolean interrupted;
        int error;

        DumpState(int seq, RtnlParser.Visitor next) {
            this.seq = seq;
            this.next = next;
        }

        @Override
        public void message(int type, int flags, int mseq, ByteBuffer buf, int off, int len) {
            if (mseq != seq || done) {
                return; // a stale reply to an earlier, abandoned request
            }
            if ((flags & Rtnl.NLM_F_DUMP_INTR) != 0) {
                interrupted = true;
            }
            switch (type) {
                case Rtnl.NLMSG_DONE -> done = true;
                case Rtnl.NLMSG_ERROR -> {
                    int e = RtnlParser.error(buf, off, len);
                    error = e > 0 ? -71 /* EPROTO */ : e;
                    done = e == 0;
                }
                case Rtnl.NLMSG_NOOP -> { }
                default -> next.message(type, flags, mseq, buf, off, len);
            }
        }
    }
}
