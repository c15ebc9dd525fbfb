package dev.sluice.core.host;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * sockaddr, msghdr and iovec live in per-thread scratch memory.
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
     * Allocation-free for IPv4, and for IPv6 when dst is the same object as in this thread's
     * previous call (else InetAddress.getAddress() copies 16 bytes); the byte[] overload
     * never allocates.
     */
    public static int sendTo(int fd, ByteBuffer buf, InetAddress dst) throws IOException {
        Scratch s = SCRATCH.get();
        int saLen;
        if (dst instanceof Inet4Address && V4_HASH_IS_ADDRESS) {
            saLen = SockAddr.writeV4(s.buf, 0, dst.hashCode(), 0);
        } else {
            int scope = dst instanceof Inet6Address a6 ? a6.getScopeId() : 0;
            saLen = SockAddr.write(s.buf, 0, s.bytesOf(dst), scope, 0);
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
            s.prepare(SockAddr.MAX_LEN, address, capacity);
            long n = Native.LIBC.recvmsg(fd, s.msghdr, Native.MSG_DONTWAIT);
            if (n >= 0) {
                if (srcOut != null) {
                    SockAddr.readAddress(s.buf, 0, s.buf.getInt(Scratch.NAMELEN), srcOut);
                }
                return (int) n;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return -1;
            }
            if (errno != Native.EINTR) {
                throw Native.failure("recvmsg ping socket", errno);
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
            String[] f = readSysctl(rangeFile).trim().split("\\s+");
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

    /**
     * Reads a sysctl file with a single read(2): integer sysctls answer nothing at a non-zero
     * offset, so Files.readString (which probes with a one-byte read first) sees only "1".
     */
    static String readSysctl(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[256];
            int n = in.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
        }
    }

    private static int send(int fd, long address, int len, Scratch s, int saLen) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            s.prepare(saLen, address, len);
            long n = Native.LIBC.sendmsg(fd, s.msghdr, Native.MSG_DONTWAIT);
            if (n >= 0) {
                return (int) n;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return -1;
            }
            if (errno != Native.EINTR) {
                throw Native.failure("sendmsg ping socket", errno);
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

    /**
     * Per-thread native memory for one sendmsg/recvmsg: the sockaddr at 0, a struct msghdr
     * at 32 (name, namelen, iov, iovlen, control, controllen, flags: 56 bytes) pointing at
     * it and at one struct iovec at 88 (base, len).
     */
    private static final class Scratch {
        static final int MSGHDR = 32;
        static final int NAMELEN = MSGHDR + 8;
        static final int IOVEC = MSGHDR + 56;
        final ByteBuffer buf = Native.direct(IOVEC + 16);
        final long address = Native.address(buf);
        final long msghdr = address + MSGHDR;
        /** getAddress() copies; remember the last destination's copy (addresses are immutable). */
        private InetAddress lastDst;
        private byte[] lastBytes;

        Scratch() {
            buf.putLong(MSGHDR, address);          // msg_name
            buf.putLong(MSGHDR + 16, address + IOVEC); // msg_iov
            buf.putLong(MSGHDR + 24, 1);            // msg_iovlen
        }

        byte[] bytesOf(InetAddress dst) {
            if (dst != lastDst) {
                lastBytes = dst.getAddress();
                lastDst = dst;
            }
            return lastBytes;
        }

        /** Sets the name length and the single data buffer; clears control and flags. */
        void prepare(int nameLen, long data, int dataLen) {
            buf.putInt(NAMELEN, nameLen);
            buf.putLong(MSGHDR + 32, 0);           // msg_control
            buf.putLong(MSGHDR + 40, 0);           // msg_controllen
            buf.putInt(MSGHDR + 48, 0);            // msg_flags
            buf.putLong(IOVEC, data);
            buf.putLong(IOVEC + 8, dataLen);
        }
    }
}
