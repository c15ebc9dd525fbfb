package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Unprivileged ICMP echo ("ping") sockets: socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP) and its IPv6 twin. One sends an echo request as the ICMP
 * header plus data; the kernel fills in the checksum and replaces the
 * identifier with the socket's "port" (see {@link #bind}), and receives only
 * replies to that identifier, again without the IP header. The kernel admits
 * only groups inside net.ipv4.ping_group_range (both families, per namespace).
 *
 * <p>The send and receive calls allocate nothing: buffers are direct, and the
 * sockaddr lives in per-thread scratch memory.
 */
public final class PingSocket {
    static final int IPPROTO_ICMP = 1;
    static final int IPPROTO_ICMPV6 = 58;
    private static final Path GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
    /** Whether Inet4Address.hashCode() is its address, as in every OpenJDK: lets sendTo skip getAddress()'s copy. */
    private static final boolean V4_HASH_IS_ADDRESS = v4HashIsAddress();

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PingSocket() {
    }

    /** A non-blocking, close-on-exec ping socket; close it with {@link Fds#close}. */
    public static int open(boolean ipv6) throws IOException {
        int fd = Native.LIBC.socket(ipv6 ? Native.AF_INET6 : Native.AF_INET,
                Native.SOCK_DGRAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC,
                ipv6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
        if (fd < 0) {
            throw Native.failure("ping socket" + (ipv6 ? " (IPv6)" : "") + ", check net.ipv4.ping_group_range");
        }
        return fd;
    }

    /**
     * Binds to a local address (null: any of the socket's family) and echo identifier (0: the
     * kernel picks one). The identifier is what the peer sees in requests and replies.
     */
    public static void bind(int fd, InetAddress local, int id, boolean ipv6) throws IOException {
        ByteBuffer sa = Native.direct(SockAddr.MAX_LEN);
        byte[] addr = local != null ? local.getAddress() : new byte[ipv6 ? 16 : 4];
        int scope = local instanceof Inet6Address a6 ? a6.getScopeId() : 0;
        int len = SockAddr.write(sa, 0, addr, scope, id);
        int rc = Native.LIBC.bind(fd, Native.address(sa), len);
        Reference.reachabilityFence(sa);
        if (rc != 0) {
            throw Native.failure("bind ping socket");
        }
    }

    /** The echo identifier the kernel uses for this socket (its bound "port"), 0 before the first send or bind. */
    public static int identifier(int fd) throws IOException {
        ByteBuffer sa = Native.direct(SockAddr.MAX_LEN + 4);
        sa.putInt(SockAddr.MAX_LEN, SockAddr.MAX_LEN);
        int rc = Native.LIBC.getsockname(fd, Native.address(sa), Native.address(sa) + SockAddr.MAX_LEN);
        Reference.reachabilityFence(sa);
        if (rc != 0) {
            throw Native.failure("getsockname ping socket");
        }
        return SockAddr.port(sa, 0);
    }

    /**
     * Sends buf[position, limit) (an ICMP echo request: header and data) to dst. Neither
     * position nor limit changes. Returns the bytes sent, or -1 if the socket buffer is full.
     */
    public static int sendTo(int fd, ByteBuffer buf, InetAddress dst) throws IOException {
        Scratch s = SCRATCH.get();
        int saLen;
        if (dst instanceof Inet4Address && V4_HASH_IS_ADDRESS) {
            saLen = SockAddr.writeV4(s.buf, 0, dst.hashCode(), 0);
        } else {
            int scope = dst instanceof Inet6Address a6 ? a6.getScopeId() : 0;
            saLen = SockAddr.write(s.buf, 0, dst.getAddress(), scope, 0);
        }
        int n = send(fd, Native.address(buf) + buf.position(), buf.remaining(), s, saLen);
        Reference.reachabilityFence(buf);
        return n;
    }

    /** As {@link #sendTo(int, ByteBuffer, InetAddress)} with the destination as 4 or 16 raw bytes and an IPv6 scope id. */
    public static int sendTo(int fd, ByteBuffer buf, byte[] dst, int scopeId) throws IOException {
        Scratch s = SCRATCH.get();
        int saLen = SockAddr.write(s.buf, 0, dst, scopeId, 0);
        int n = send(fd, Native.address(buf) + buf.position(), buf.remaining(), s, saLen);
        Reference.reachabilityFence(buf);
        return n;
    }

    /** As above from native memory (e.g. a netty direct ByteBuf's memoryAddress() + readerIndex()). */
    public static int sendTo(int fd, long address, int len, byte[] dst, int scopeId) throws IOException {
        Scratch s = SCRATCH.get();
        int saLen = SockAddr.write(s.buf, 0, dst, scopeId, 0);
        return send(fd, address, len, s, saLen);
    }

    /**
     * Receives one ICMP message (header and data, no IP header) into buf[position, limit);
     * neither changes. The sender's address goes to srcOut (4 or 16 bytes) when it is not
     * null and large enough. Returns the length, or -1 if nothing is pending.
     */
    public static int recvFrom(int fd, ByteBuffer buf, byte[] srcOut) throws IOException {
        int n = recvFrom(fd, Native.address(buf) + buf.position(), buf.remaining(), srcOut);
        Reference.reachabilityFence(buf);
        return n;
    }

    /** As above into native memory. */
    public static int recvFrom(int fd, long address, int capacity, byte[] srcOut) throws IOException {
        Scratch s = SCRATCH.get();
        for (int attempt = 0; attempt < 3; attempt++) {
            s.buf.putInt(SockAddr.MAX_LEN, SockAddr.MAX_LEN);
            long n = Native.LIBC.recvfrom(fd, address, capacity, 0, s.address, s.address + SockAddr.MAX_LEN);
            if (n >= 0) {
                if (srcOut != null) {
                    SockAddr.readAddress(s.buf, 0, s.buf.getInt(SockAddr.MAX_LEN), srcOut);
                }
                return (int) n;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return -1;
            }
            if (errno != Native.EINTR) {
                throw Native.failure("recvfrom ping socket", errno);
            }
        }
        return -1;
    }

    /** Whether gid lies in this thread's namespace's net.ipv4.ping_group_range. */
    public static boolean groupRangeAdmits(int gid) {
        return groupRangeAdmits(gid, GROUP_RANGE);
    }

    /** Whether the process's effective group or one of its supplementary groups is admitted, as the kernel checks. */
    public static boolean groupRangeAdmitsSelf() {
        if (groupRangeAdmits(Native.LIBC.getegid())) {
            return true;
        }
        ByteBuffer groups = Native.direct(4 * 1024);
        int n = Native.LIBC.getgroups(1024, Native.address(groups));
        for (int i = 0; i < n; i++) {
            if (groupRangeAdmits(groups.getInt(4 * i))) {
                return true;
            }
        }
        return false;
    }

    /** Reads a ping_group_range file ("low high"); false when it is unreadable or malformed. */
    static boolean groupRangeAdmits(int gid, Path rangeFile) {
        try {
            String[] f = Files.readString(rangeFile).trim().split("\\s+");
            if (f.length != 2) {
                return false;
            }
            long low = Long.parseLong(f[0]);
            long high = Long.parseLong(f[1]);
            long g = Integer.toUnsignedLong(gid);
            return low <= g && g <= high;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private static int send(int fd, long address, int len, Scratch s, int saLen) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            long n = Native.LIBC.sendto(fd, address, len, Native.MSG_DONTWAIT, s.address, saLen);
            if (n >= 0) {
                return (int) n;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return -1;
            }
            if (errno != Native.EINTR) {
                throw Native.failure("sendto ping socket", errno);
            }
        }
        return -1;
    }

    private static boolean v4HashIsAddress() {
        try {
            return InetAddress.getByAddress(new byte[] {1, 2, 3, 4}).hashCode() == 0x01020304
                    && InetAddress.getByAddress(new byte[] {(byte) 200, 0, 0, 9}).hashCode() == 0xc8000009;
        } catch (IOException e) {
            return false;
        }
    }

    /** Per-thread sockaddr memory: [0, 28) the sockaddr, [28, 32) its length for recvfrom. */
    private static final class Scratch {
        final ByteBuffer buf = Native.direct(SockAddr.MAX_LEN + 4);
        final long address = Native.address(buf);
    }
}
