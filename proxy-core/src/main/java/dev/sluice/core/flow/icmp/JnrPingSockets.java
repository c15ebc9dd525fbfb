package dev.sluice.core.flow.icmp;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * {@link PingSockets} through jnr-ffi calls into libc (socket, bind, sendto,
 * recvfrom, close). Linux only (the constants are Linux's, identical on
 * x86-64 and arm64). Buffers are passed by address: no copy, no allocation
 * per call (the sockaddr scratch memory is per thread).
 */
public final class JnrPingSockets implements PingSockets {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int IPPROTO_ICMP = 1;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int EAGAIN = 11;
    private static final int EADDRINUSE = 98;
    private static final int SOCKADDR_IN6_LEN = 28;
    private static final int SOCKADDR_IN_LEN = 16;

    /** The libc calls used. */
    public interface LibC {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int bind(int fd, Pointer addr, int len);

        @SaveError
        @ssize_t
        long sendto(int fd, @intptr_t long buf, @size_t long len, int flags, Pointer addr, int addrlen);

        @SaveError
        @ssize_t
        long recvfrom(int fd, @intptr_t long buf, @size_t long len, int flags, Pointer addr, Pointer addrlen);

        int close(int fd);

        String strerror(int errnum);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    /** The shared instance (it holds no state beyond per-thread scratch memory). */
    public static final JnrPingSockets INSTANCE = new JnrPingSockets();

    private final ThreadLocal<Pointer[]> scratch = ThreadLocal.withInitial(() -> new Pointer[] {
        Runtime.getRuntime(Holder.LIBC).getMemoryManager().allocateDirect(SOCKADDR_IN6_LEN, true),
        Runtime.getRuntime(Holder.LIBC).getMemoryManager().allocateDirect(4, true)});

    private JnrPingSockets() {
    }

    private static LibC libc() {
        return Holder.LIBC;
    }

    private static IOException error(String call) {
        int errno = Holder.RUNTIME.getLastError();
        return new IOException(call + ": " + libc().strerror(errno) + " (errno " + errno + ")");
    }

    @Override
    public int open(boolean ipv6) throws IOException {
        int fd = libc().socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ipv6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
        if (fd < 0) {
            throw error(ipv6 ? "ICMPv6 ping socket" : "ICMP ping socket");
        }
        return fd;
    }

    @Override
    public boolean bind(int fd, boolean ipv6, InetAddress local, int id) throws IOException {
        Pointer sa = scratch.get()[0];
        int len = sockaddr(sa, ipv6, local != null ? local.getAddress() : null, id);
        if (libc().bind(fd, sa, len) < 0) {
            if (Holder.RUNTIME.getLastError() == EADDRINUSE) {
                return false;
            }
            throw error("bind ping socket");
        }
        return true;
    }

    @Override
    public int sendTo(int fd, ByteBuf buf, int index, int len, byte[] dst) throws IOException {
        Pointer sa = scratch.get()[0];
        int salen = sockaddr(sa, dst.length == 16, dst, 0);
        long n = libc().sendto(fd, address(buf, index, len), len, 0, sa, salen);
        if (n < 0) {
            if (Holder.RUNTIME.getLastError() == EAGAIN) {
                return -1;
            }
            throw error("sendto");
        }
        return (int) n;
    }

    @Override
    public int recvFrom(int fd, ByteBuf buf, int index, int cap, byte[] src) throws IOException {
        Pointer[] s = scratch.get();
        s[1].putInt(0, SOCKADDR_IN6_LEN);
        long n = libc().recvfrom(fd, address(buf, index, cap), cap, 0, s[0], s[1]);
        if (n < 0) {
            if (Holder.RUNTIME.getLastError() == EAGAIN) {
                return -1;
            }
            throw error("recvfrom");
        }
        int family = s[0].getShort(0) & 0xffff;
        if (family == AF_INET6 && src.length == 16) {
            s[0].get(8, src, 0, 16);
        } else if (family == AF_INET && src.length == 4) {
            s[0].get(4, src, 0, 4);
        }
        return (int) n;
    }

    @Override
    public void close(int fd) {
        libc().close(fd);
    }

    /** Reads {@code /proc/sys/net/ipv4/ping_group_range} (as seen from the calling thread's namespace). */
    @Override
    public boolean groupRangeAdmits(int gid) {
        // One read from offset 0: sysctl files answer EOF to any read at a non-zero offset, so a
        // reader that probes one byte first (as Files.readString does) sees only "0".
        byte[] buf = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ping_group_range"))) {
            n = in.read(buf);
        } catch (IOException e) {
            return false;
        }
        try {
            String[] r = new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII).trim().split("\\s+");
            long lo = Long.parseLong(r[0]);
            long hi = Long.parseLong(r[1]);
            long g = gid & 0xffff_ffffL;
            return lo <= g && g <= hi;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The process's effective group id, from /proc/self/status; -1 when unknown. */
    public static int effectiveGid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Gid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    private static long address(ByteBuf buf, int index, int len) {
        if (buf.hasMemoryAddress()) {
            return buf.memoryAddress() + index;
        }
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("ping socket I/O needs a direct buffer");
        }
        return Holder.RUNTIME.getMemoryManager().newPointer(buf.nioBuffer(index, len)).address();
    }

    /** Writes a sockaddr_in / sockaddr_in6 into {@code sa}; returns its length. */
    private static int sockaddr(Pointer sa, boolean ipv6, byte[] addr, int port) {
        sa.setMemory(0, SOCKADDR_IN6_LEN, (byte) 0);
        sa.putShort(0, (short) (ipv6 ? AF_INET6 : AF_INET)); // host order
        sa.putByte(2, (byte) (port >>> 8)); // network order
        sa.putByte(3, (byte) port);
        if (ipv6) {
            if (addr != null) {
                sa.put(8, addr, 0, 16);
            }
            return SOCKADDR_IN6_LEN;
        }
        if (addr != null) {
            sa.put(4, addr, 0, 4);
        }
        return SOCKADDR_IN_LEN;
    }
}
