package dev.sluice.core.host;

import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * Points the process's standard input, output and error at {@code /dev/null} (or a
 * file), as a daemon does once it is ready: the JVM cannot reopen its own fds 0-2, so
 * dup2(2) does. Whoever started the process (Podman reads pasta's output until every
 * writer closes it) then sees end of file.
 */
public final class Stdio {
    /** The three calls this needs, apart from {@link Native}'s library so the class stands alone. */
    public interface Lib {
        @SaveError
        int open(String path, int flags, int mode);

        @SaveError
        int dup2(int oldFd, int newFd);

        int close(int fd);
    }

    private static final Lib LIB = LibraryLoader.create(Lib.class).load("c");
    private static final int O_WRONLY = 1;
    private static final int O_APPEND = 0x400;
    private static final int O_CREAT = 0x40;

    private Stdio() {
    }

    /** stdin from /dev/null; stdout and stderr to {@code out} (appended, created 0600), or /dev/null when null. */
    public static void detach(String out) throws IOException {
        int in = LIB.open("/dev/null", Native.O_RDONLY, 0);
        if (in < 0) {
            throw Native.failure("open /dev/null");
        }
        int o = out == null ? LIB.open("/dev/null", O_WRONLY, 0) : LIB.open(out, O_WRONLY | O_APPEND | O_CREAT, 0600);
        if (o < 0) {
            int e = Native.errno();
            LIB.close(in);
            throw Native.failure("open " + (out == null ? "/dev/null" : out), e);
        }
        try {
            dup(in, 0);
            dup(o, 1);
            dup(o, 2);
        } finally {
            LIB.close(in);
            LIB.close(o);
        }
    }

    private static void dup(int from, int to) throws IOException {
        if (LIB.dup2(from, to) < 0) {
            throw Native.failure("dup2(" + from + ", " + to + ")");
        }
    }
}
