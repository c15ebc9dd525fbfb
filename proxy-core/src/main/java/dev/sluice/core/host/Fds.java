package dev.sluice.core.host;

import java.io.IOException;

/** File descriptors handed out by this package (tap, ping sockets, namespaces) are closed here. */
public final class Fds {
    private Fds() {
    }

    /** close(2). A negative fd is ignored. */
    public static void close(int fd) throws IOException {
        if (fd < 0) {
            return;
        }
        if (Native.LIBC.close(fd) != 0) {
            int errno = Native.errno();
            // Linux releases the descriptor even when close reports EINTR: never retry.
            if (errno != Native.EINTR) {
                throw Native.failure("close(" + fd + ")", errno);
            }
        }
    }
}
