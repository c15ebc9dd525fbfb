package dev.sluice.core.host;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;

/**
 * The loaded {@link LibC}, errno, Linux x86_64 constants and the memory
 * helpers every native class shares. Memory handed to libc is always a direct
 * ByteBuffer in native byte order; callers keep the buffer referenced across
 * the call (a local variable used after the call is enough).
 */
final class Native {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int SO_BINDTODEVICE = 25;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int CLONE_NEWNET = 0x40000000;
    static final int IFNAMSIZ = 16;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int ENETUNREACH = 101;
    static final int ENOBUFS = 105;
    static final int EHOSTUNREACH = 113;

    private Native() {
    }

    /** errno of the last call made on this thread through {@link #LIBC}. */
    static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    /** "EACCES (Permission denied)" for an errno value. */
    static String errnoText(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || !e.defined()) {
            return "errno " + errno;
        }
        return e.name() + " (" + e.description() + ")";
    }

    /** An IOException naming the failed operation and the current errno. */
    static IOException failure(String what) {
        return failure(what, errno());
    }

    static IOException failure(String what, int errno) {
        return new IOException(what + ": " + errnoText(errno));
    }

    /** Address of a direct buffer's first byte (not its position). */
    static long address(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("buffer must be direct");
        }
        return MEMORY.getDirectBufferAddress(direct);
    }

    /** The int at a native address libc handed back (struct passwd/group fields): setup paths only. */
    static int peekInt(long address) {
        return MEMORY.getInt(address);
    }

    /** A fresh zeroed direct buffer in native order: for setup paths only, never per packet. */
    static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /** A direct NUL-terminated copy of s. */
    static ByteBuffer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = direct(b.length + 1);
        buf.put(0, b);
        return buf;
    }

    /** close(2), ignoring errors: for cleanup paths. */
    static void closeQuietly(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    /** Interface names are at most 15 bytes plus NUL, printable, no '/', ':' or whitespace (dev_valid_name). */
    static void checkIfName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty interface name");
        }
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name longer than 15 bytes: " + name);
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("bad interface name: " + name);
        }
        for (byte c : b) {
            if (c <= ' ' || c == '/' || c == ':' || c == 0x7f) {
                throw new IllegalArgumentException("bad interface name: " + name);
            }
        }
    }

    /**
     * The few libc calls Java lacks, bound with jnr-ffi. Every pointer argument
     * is a raw address ({@code long}) of memory the caller owns (a direct
     * ByteBuffer, see {@link Native#address}), so a call marshals primitives only
     * and allocates nothing. x86_64 Linux: size_t/ssize_t are 64-bit.
     * No function here takes six arguments: jnr-ffi corrupts the sixth
     * (jnr/jnr-ffi#181, seen with sendto), hence sendmsg/recvmsg.
     */
    // Public only so jnr-ffi's generated class (another class loader) may implement it;
    // Native itself is package-private, so nothing outside this package can reach it.
    public interface LibC {
        @SaveError int socket(int domain, int type, int protocol);

        @SaveError int bind(int fd, long addr, int addrLen);

        @SaveError long send(int fd, long buf, long len, int flags);

        @SaveError long sendmsg(int fd, long msghdr, int flags);

        @SaveError long recv(int fd, long buf, long len, int flags);

        @SaveError long recvmsg(int fd, long msghdr, int flags);

        @SaveError int getsockname(int fd, long addr, long addrLenPtr);

        @SaveError int close(int fd);

        @SaveError int setns(int fd, int nsType);

        @SaveError @Variadic(fixedCount = 2) int open(long path, int flags, int mode);

        @SaveError @Variadic(fixedCount = 2) int ioctl(int fd, long request, long arg);

        @SaveError int setsockopt(int fd, int level, int name, long value, int len);

        @SaveError int getsockopt(int fd, int level, int name, long value, long lenPtr);

        @SaveError int if_nametoindex(long name);

        @SaveError int poll(long fds, long nfds, int timeoutMillis);

        int getegid();

        @SaveError int getgroups(int size, long list);

        // Privileges (Privileges, Seccomp). glibc's set*id broadcast to every thread.
        @SaveError int setgroups(long size, long list);

        @SaveError int setresuid(int ruid, int euid, int suid);

        @SaveError int setresgid(int rgid, int egid, int sgid);

        @SaveError int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        @SaveError @Variadic(fixedCount = 1) long syscall(long number, long a1, long a2, long a3);

        /** struct passwd * (static storage), or 0. */
        @SaveError long getpwnam(long name);

        @SaveError long getpwuid(int uid);

        /** struct group * (static storage), or 0. */
        @SaveError long getgrnam(long name);

        @SaveError int prlimit(int pid, int resource, long newLimit, long oldLimit);
    }
}
