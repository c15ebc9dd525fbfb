package dev.sluice.core.host;

import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/** fcntl(F_SETFL, O_NONBLOCK) for descriptors received from a peer, which may arrive blocking. */
final class FdFlags {
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final FcntlLibC LIBC = LibraryLoader.create(FcntlLibC.class).load("c");

    private FdFlags() {
    }

    static void setNonBlocking(int fd) throws IOException {
        int flags = LIBC.fcntl(fd, F_GETFL, 0);
        if (flags < 0 || LIBC.fcntl(fd, F_SETFL, flags | Native.O_NONBLOCK) < 0) {
            throw Native.failure("fcntl(" + fd + ", O_NONBLOCK)");
        }
    }

    /** Public only so jnr-ffi's generated class may implement it. */
    public interface FcntlLibC {
        @SaveError int fcntl(int fd, int cmd, int arg);
    }
}
