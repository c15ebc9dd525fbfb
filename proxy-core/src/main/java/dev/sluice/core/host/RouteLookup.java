package dev.sluice.core.host;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * The kernel's routing decision for one destination, asked at the moment of
 * the call: one RTM_GETROUTE round trip on a NETLINK_ROUTE socket of the
 * namespace the socket was opened in. This is how the core tells whether a
 * guest flow would reach the host itself: a route of type RTN_LOCAL (an
 * address of any interface, link-local included, or a {@code local} route
 * such as 127.0.0.0/8), RTN_BROADCAST (a subnet broadcast, also delivered
 * locally) or RTN_ANYCAST (an IPv6 anycast address of the host) means the
 * host delivers the flow to its own sockets, exactly as a {@code connect}
 * from the host would. Being the kernel's own answer, it knows an address
 * the moment {@code ip addr add} returns, and forgets it the moment
 * {@code ip addr del} does: there is no cached list to lag behind.
 *
 * <p>The request carries RTM_F_FIB_MATCH, so the answer names the FIB entry
 * that matched: for a local address that is the local-table route on the
 * interface holding it (a plain lookup would answer {@code dev lo}).
 *
 * <p>Cost: two system calls (send, recv). The kernel answers a route request
 * inside the send, so the receive finds the reply already queued and the
 * socket is non-blocking: a lookup never waits. Request and reply buffers are
 * reused; {@link #lookup(byte[], int)} allocates nothing. Not thread-safe.
 */
public final class RouteLookup implements AutoCloseable {
    /** {@link #lookup}'s answer when the kernel has no usable route (unreachable, prohibited). */
    public static final int NO_ROUTE = -1;
    public static final int RTN_UNICAST = Rtnl.RTN_UNICAST;
    public static final int RTN_LOCAL = Rtnl.RTN_LOCAL;
    public static final int RTN_BROADCAST = Rtnl.RTN_BROADCAST;
    public static final int RTN_ANYCAST = Rtnl.RTN_ANYCAST;
    public static final int RTN_MULTICAST = Rtnl.RTN_MULTICAST;

    /** Bound on datagrams read per lookup: stale replies of abandoned lookups are skipped, never waited for. */
    private static final int MAX_DATAGRAMS = 16;

    private final NetlinkSocket socket;
    private final Answer answer = new Answer();
    private int lastOif;

    private RouteLookup(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** Opens a lookup socket in the calling thread's network namespace (wrap in {@link Netns#callIn} for another). */
    public static RouteLookup open() throws IOException {
        return new RouteLookup(NetlinkSocket.open(0, true));
    }

    /**
     * The type of the route the kernel would use for dst ({@link #RTN_LOCAL}, {@link #RTN_UNICAST}, ...),
     * or {@link #NO_ROUTE}. An IPv6 address's scope id becomes the lookup's output interface.
     *
     * @throws IOException if the kernel could not be asked or refused the request itself
     */
    public int lookup(InetAddress dst) throws IOException {
        int scope = dst instanceof Inet6Address v6 ? v6.getScopeId() : 0;
        return lookup(dst.getAddress(), scope);
    }

    /**
     * As {@link #lookup(InetAddress)} for 4 or 16 address bytes; {@code oif} > 0 restricts the
     * lookup to that interface (the scope of an IPv6 link-local address). Allocates nothing.
     */
    public int lookup(byte[] dst, int oif) throws IOException {
        int s = socket.nextSeq();
        RtnlWriter.getRoute(socket.tx(), s, dst, oif);
        lastOif = 0;
        exchange(s);
        if (answer.errno != 0) {
            switch (answer.errno) {
                // What the kernel says when it has no route, or one that refuses (unreachable,
                // prohibit): nothing is delivered, locally or anywhere.
                case Native.ENETUNREACH, Native.EHOSTUNREACH, Native.EACCES -> {
                    return NO_ROUTE;
                }
                default -> throw Native.failure("route lookup", answer.errno);
            }
        }
        if (answer.type < 0) {
            throw new IOException("route lookup: unreadable answer");
        }
        lastOif = answer.oif;
        return answer.type;
    }

    /** Sends the request in tx (sequence s) and reads until its answer. */
    private void exchange(int s) throws IOException {
        socket.send();
        answer.reset(s);
        for (int i = 0; i < MAX_DATAGRAMS && !answer.done; i++) {
            int n = socket.recv();
            if (n == -1) {
                break; // nothing queued: the kernel did not answer within send, which it always does
            }
            if (n > 0 && RtnlParser.walk(socket.rx(), 0, n, answer) < 0) {
                throw new IOException("route lookup: malformed netlink reply");
            }
        }
        if (!answer.done) {
            throw new IOException("route lookup: no reply from the kernel");
        }
    }

    /** The output interface index of the last successful lookup (the interface holding a local address); 0 if none. */
    public int oif() {
        return lastOif;
    }

    /** Whether a route of this type delivers to the host itself. */
    public static boolean isLocalType(int type) {
        return type == RTN_LOCAL || type == RTN_BROADCAST || type == RTN_ANYCAST;
    }

    /**
     * The index of the interface that makes dst local right now (0 if the kernel named none),
     * or -1 if the host would not deliver dst to itself.
     */
    public int localIndex(InetAddress dst) throws IOException {
        int type = lookup(dst);
        return isLocalType(type) ? Math.max(lastOif, 0) : -1;
    }

    /**
     * An interface's current name, asked of the kernel (RTM_GETLINK) in the socket's namespace,
     * or null if there is no such interface or the kernel cannot be asked. Allocates: for the
     * rare interface newer than what its caller has heard of.
     */
    public String interfaceName(int index) {
        if (index <= 0) {
            return null;
        }
        try {
            int s = socket.nextSeq();
            RtnlWriter.getLink(socket.tx(), s, index);
            exchange(s);
            return answer.errno == 0 ? answer.name : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        socket.close();
    }

    /** Collects the reply to one request; reused for every lookup. */
    private static final class Answer implements RtnlParser.Visitor {
        int seq;
        boolean done;
        int errno;
        int type;
        int oif;
        String name;

        void reset(int s) {
            seq = s;
            done = false;
            errno = 0;
            type = -1;
            oif = 0;
            name = null;
        }

        @Override
        public void message(int msgType, int flags, int mseq, ByteBuffer buf, int off, int len) {
            if (mseq != seq || done) {
                return; // the late reply to an abandoned lookup
            }
            if (msgType == Rtnl.NLMSG_ERROR) {
                int e = RtnlParser.error(buf, off, len);
                errno = e == 0 ? 0 : e > 0 ? 71 /* EPROTO: too short to say */ : -e;
                done = e != 0; // an ack (0) without a route would be odd; keep reading
            } else if (msgType == Rtnl.RTM_NEWROUTE) {
                long r = RtnlParser.routeAnswer(buf, off, len);
                if (r >= 0) {
                    type = (int) (r >>> 32);
                    oif = (int) r;
                }
                done = true;
            } else if (msgType == Rtnl.RTM_NEWLINK) {
                RtnlParser.Link l = RtnlParser.link(buf, off, len);
                name = l != null ? l.name() : null;
                done = true;
            }
        }
    }
}
