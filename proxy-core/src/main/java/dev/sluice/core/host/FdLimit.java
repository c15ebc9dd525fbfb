package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's open-file limit ({@code RLIMIT_NOFILE}, prlimit(2)) and how
 * many descriptors it holds now. Every host socket of a flow is one
 * descriptor: the flow caps are derived from what this class reports, so the
 * flow tables fill before the process runs out of descriptors (a refused flow
 * is clean; an EMFILE in the middle of netty is not).
 */
public final class FdLimit {
    private static final int RLIMIT_NOFILE = 7;
    /** rlim_t's RLIM_INFINITY. */
    public static final long INFINITY = -1L;

    /** Soft and hard limit; {@link #INFINITY} is unlimited. */
    public record Limits(long soft, long hard) {
    }

    private FdLimit() {
    }

    public static Limits read() throws IOException {
        ByteBuffer old = Native.direct(16);
        if (Native.LIBC.prlimit(0, RLIMIT_NOFILE, 0, Native.address(old)) != 0) {
            throw Native.failure("prlimit(RLIMIT_NOFILE)");
        }
        return new Limits(old.getLong(0), old.getLong(8));
    }

    /**
     * Raises the soft limit to the hard one (passt does the same) and returns
     * the limits now in force. Idempotent; never lowers anything.
     */
    public static Limits raiseToHard() throws IOException {
        Limits now = read();
        if (now.soft() == now.hard()) {
            return now;
        }
        set(now.hard(), now.hard());
        return read();
    }

    /** prlimit(RLIMIT_NOFILE) to these values; tests lower the soft limit with it to make socket(2) fail. */
    public static void set(long soft, long hard) throws IOException {
        ByteBuffer nu = Native.direct(16);
        nu.putLong(0, soft);
        nu.putLong(8, hard);
        if (Native.LIBC.prlimit(0, RLIMIT_NOFILE, Native.address(nu), 0) != 0) {
            throw Native.failure("prlimit(RLIMIT_NOFILE, " + soft + ")");
        }
    }

    /** Descriptors open in this process now (entries of /proc/self/fd), or -1 if that cannot be read. */
    public static int openCount() {
        int n = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path ignored : d) {
                n++;
            }
        } catch (IOException e) {
            return -1;
        }
        return Math.max(0, n - 1); // the directory stream's own descriptor
    }
}
