package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * An eventfd: the vhost-user link's kick (guest → Sluice) and call
 * (Sluice → guest) notifications. Either made here ({@link #open}) or adopted
 * from a descriptor QEMU passed ({@link #adopt}); the instance owns the fd.
 * Each instance keeps its own 8-byte buffer, so reads and writes allocate nothing.
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final EvLibC LIBC = LibraryLoader.create(EvLibC.class).load("c");

    private final int fd;
    private final ByteBuffer counter = Native.direct(8);
    private final long counterAddr = Native.address(counter);
    private boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A new non-blocking eventfd with count 0. */
    public static EventFd open() throws IOException {
        int fd = LIBC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            throw Native.failure("eventfd");
        }
        return new EventFd(fd);
    }

    /** Takes ownership of an eventfd received from a peer; made non-blocking. */
    public static EventFd adopt(int fd) throws IOException {
        FdFlags.setNonBlocking(fd);
        return new EventFd(fd);
    }

    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter (wakes a reader). A full counter (EAGAIN) means the peer is awake anyway. */
    public void signal() throws IOException {
        counter.putLong(0, 1L);
        if (LIBC.write(fd, counterAddr, 8) != 8) {
            int e = Native.errno();
            if (e != Native.EAGAIN) {
                throw Native.failure("eventfd write", e);
            }
        }
    }

    /** Reads and resets the counter: its value, or 0 when nothing was signalled (EAGAIN). */
    public long drain() throws IOException {
        long n = LIBC.read(fd, counterAddr, 8);
        if (n != 8) {
            int e = Native.errno();
            if (n < 0 && e == Native.EAGAIN) {
                return 0;
            }
            throw Native.failure("eventfd read", e);
        }
        return counter.getLong(0);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Native.closeQuietly(fd);
        }
    }

    /** Public only so jnr-ffi's generated class may implement it. */
    public interface EvLibC {
        @SaveError int eventfd(int initval, int flags);

        @SaveError long read(int fd, long buf, long len);

        @SaveError long write(int fd, long buf, long len);
    }
}
