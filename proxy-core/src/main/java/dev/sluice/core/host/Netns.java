package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Network namespaces: opening one, and running code inside it. setns(2)
 * changes the namespace of the calling thread only, so {@link #callIn} does it
 * on a fresh platform thread that is thrown away afterwards: the caller's
 * threads (and netty's event loops) never leave their namespace. Sockets and
 * devices created in the body stay bound to the namespace they were made in,
 * which is the point: a tap fd or a netlink socket opened there keeps working
 * from any thread.
 */
public final class Netns {
    private static final String NAMED_DIR = "/run/netns/";
    private static final AtomicInteger THREADS = new AtomicInteger();

    private Netns() {
    }

    /**
     * Opens a namespace read-only and returns its fd (close it with {@link Fds#close}). A
     * string containing '/' is a path (/proc/PID/ns/net, a bind mount); anything else is a
     * name under /run/netns, as {@code ip netns} creates them.
     */
    public static int open(String pathOrName) throws IOException {
        String path = pathFor(pathOrName);
        ByteBuffer p = Native.cString(path);
        int fd = Native.LIBC.open(Native.address(p), Native.O_RDONLY | Native.O_CLOEXEC, 0);
        Reference.reachabilityFence(p);
        if (fd < 0) {
            throw Native.failure("open " + path);
        }
        return fd;
    }

    /** ioctl NS_GET_USERNS, _IO(0xb7, 0x1): the user namespace that owns a namespace. */
    static final long NS_GET_USERNS = 0xb701L;

    /**
     * The user namespace owning the namespace nsFd, as a new fd (close it with {@link Fds#close}).
     * Rootless Sluice enters that one before the network namespace (a helper does: see
     * {@link NsAgentClient}).
     */
    public static int owningUserns(int nsFd) throws IOException {
        int fd = Native.LIBC.ioctl(nsFd, NS_GET_USERNS, 0L);
        if (fd < 0) {
            throw Native.failure("ioctl NS_GET_USERNS");
        }
        return fd;
    }

    /** True when this process may enter nsFd itself (setns on a throw-away thread succeeds). */
    public static boolean canEnter(int nsFd) {
        try {
            callIn(nsFd, () -> null);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public static String pathFor(String pathOrName) {
        if (pathOrName == null || pathOrName.isEmpty()) {
            throw new IllegalArgumentException("empty namespace name");
        }
        if (pathOrName.indexOf('/') >= 0) {
            return pathOrName;
        }
        if (pathOrName.equals(".") || pathOrName.equals("..")) {
            throw new IllegalArgumentException("bad namespace name: " + pathOrName);
        }
        return NAMED_DIR + pathOrName;
    }

    /**
     * Runs body on a new short-lived platform thread that first enters the namespace nsFd
     * (setns CLONE_NEWNET) and returns its result, or rethrows what it threw. A negative nsFd
     * runs body on such a thread in the caller's own namespace. Blocks until body ends.
     *
     * @throws IOException if setns fails (not root, or nsFd is not a network namespace)
     */
    public static <T> T callIn(int nsFd, Callable<T> body) throws Exception {
        Outcome<T> out = new Outcome<>();
        Thread t = new Thread(() -> {
            try {
                if (nsFd >= 0 && Native.LIBC.setns(nsFd, Native.CLONE_NEWNET) != 0) {
                    out.error = Native.failure("setns(" + nsFd + ", CLONE_NEWNET)");
                    return;
                }
                out.value = body.call();
            } catch (Throwable e) {
                out.error = e;
            }
        }, "sluice-netns-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        t.start();
        t.join();
        if (out.error instanceof Exception e) {
            throw e;
        }
        if (out.error instanceof Error e) {
            throw e;
        }
        if (out.error != null) {
            throw new IllegalStateException(out.error);
        }
        return out.value;
    }

    /** Written by the namespace thread, read after join(), which orders the accesses. */
    private static final class Outcome<T> {
        T value;
        Throwable error;
    }
}
