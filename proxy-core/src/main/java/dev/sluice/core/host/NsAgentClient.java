package dev.sluice.core.host;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Rootless tap mode: Sluice's side of {@link NsAgent}. An ordinary user may not
 * {@code setns} into a network namespace owned by a user namespace it made (that needs
 * CAP_SYS_ADMIN in its own user namespace too), and {@code setns(CLONE_NEWUSER)} is
 * refused to a multi-threaded process, which a JVM always is. So util-linux
 * {@code nsenter --preserve-credentials --user=U --net=N}, single-threaded, enters both
 * and execs a small second JVM ({@link NsAgent}) there; it opens the tap and the
 * namespace's sockets and passes them back with SCM_RIGHTS. Descriptors work from any
 * namespace once open, so Sluice's own threads never leave the caller's namespaces.
 * Configuration over rtnetlink happens in the helper too, with the namespace's
 * privileges. The helper lives only while Sluice needs it ({@link #setupDone}).
 *
 * <p>The namespaces are named to nsenter as /proc/SLUICE_PID/fd/N of descriptors
 * Sluice holds, so a namespace named by a bind mount works as well as one of a process.
 */
public final class NsAgentClient implements NsAccess {
    private static final long START_TIMEOUT_S = 60;
    private static final int REPLY_TIMEOUT_MS = 30_000;

    private final Process process;
    private final jnr.unixsocket.UnixSocketChannel channel;
    private final int sock;
    private final int nsFd;
    private final FdPassing.Receiver rx = new FdPassing.Receiver();
    private final ByteBuffer buf = Native.direct(4096);
    private boolean closed;

    private NsAgentClient(Process process, jnr.unixsocket.UnixSocketChannel channel, int nsFd) {
        this.process = process;
        this.channel = channel;
        this.sock = channel.getFD();
        this.nsFd = nsFd;
    }

    /**
     * The way into namespace {@code netns}: {@link NsAccess#direct} when this process may
     * enter it, else a helper in its user namespace ({@code userns}, a path, or null for
     * the one that owns the network namespace).
     */
    public static NsAccess forNamespace(String netns, String userns) throws IOException {
        int nsFd = Netns.open(netns);
        try {
            if (Netns.canEnter(nsFd)) {
                return NsAccess.direct(nsFd); // root, or root of the namespace's own user namespace
            }
            int userFd = userns != null ? Netns.open(userns) : Netns.owningUserns(nsFd);
            try {
                String self = "/proc/" + ProcessHandle.current().pid() + "/fd/";
                return start(self + userFd, self + nsFd, nsFd);
            } finally {
                Native.closeQuietly(userFd); // nsenter has opened it by the time the helper connects
            }
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(nsFd);
            throw e;
        }
    }

    private static NsAgentClient start(String userns, String netns, int nsFd) throws IOException {
        Path dir = Files.createTempDirectory("sluice-ns-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path path = dir.resolve("agent.sock");
        jnr.unixsocket.UnixServerSocketChannel server = jnr.unixsocket.UnixServerSocketChannel.open();
        Process p = null;
        try {
            server.socket().bind(new jnr.unixsocket.UnixSocketAddress(path.toFile()));
            String java = ProcessHandle.current().info().command()
                    .orElse(System.getProperty("java.home") + "/bin/java");
            List<String> argv = new ArrayList<>(List.of("nsenter", "--preserve-credentials",
                    "--user=" + userns, "--net=" + netns, "--", java,
                    // small and quick: it opens a few descriptors and waits
                    "-Xms8m", "-Xmx32m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-XX:-UsePerfData", "-Xshare:auto",
                    "-cp", System.getProperty("java.class.path"), NsAgent.class.getName(), path.toString()));
            p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
            while (!awaitReadable(server.getFD(), 100)) {
                if (!p.isAlive()) {
                    throw new IOException("cannot enter the namespace's user namespace: nsenter --user --net exited "
                            + p.exitValue());
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the namespace helper did not start within " + START_TIMEOUT_S + " s");
                }
            }
            jnr.unixsocket.UnixSocketChannel ch = server.accept();
            return new NsAgentClient(p, ch, nsFd);
        } catch (IOException | RuntimeException e) {
            if (p != null) {
                p.destroyForcibly();
            }
            throw e;
        } finally {
            server.close();
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    /** poll(2) for POLLIN; timeoutMs &lt; 0 waits without end. False on timeout or EINTR. */
    static boolean awaitReadable(int fd, int timeoutMs) throws IOException {
        ByteBuffer pfd = Native.direct(8);
        pfd.putInt(0, fd).putShort(4, (short) 1).putShort(6, (short) 0);
        int n = Native.LIBC.poll(Native.address(pfd), 1, timeoutMs);
        java.lang.ref.Reference.reachabilityFence(pfd);
        if (n < 0) {
            if (Native.errno() == Native.EINTR) {
                return false;
            }
            throw Native.failure("poll");
        }
        return n > 0;
    }

    /** One request, one reply; the descriptor that came with it, or -1. */
    private synchronized int call(String request) throws IOException {
        if (closed) {
            throw new IOException("the namespace helper has already exited");
        }
        FdPassing.send(sock, (request + "\n").getBytes(StandardCharsets.UTF_8));
        StringBuilder reply = new StringBuilder();
        int fd = -1;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPLY_TIMEOUT_MS);
        while (reply.indexOf("\n") < 0) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the namespace helper did not answer '" + request + "'");
            }
            if (!awaitReadable(sock, 200)) {
                continue;
            }
            int n = rx.recv(sock, Native.address(buf), buf.capacity());
            if (n == 0) {
                throw new IOException("the namespace helper exited");
            }
            for (int i = 0; i < rx.fdCount(); i++) {
                if (fd < 0) {
                    fd = rx.fd(i);
                } else {
                    Native.closeQuietly(rx.fd(i));
                }
            }
            if (n > 0) {
                byte[] b = new byte[n];
                buf.get(0, b);
                reply.append(new String(b, StandardCharsets.UTF_8));
            }
        }
        String line = reply.substring(0, reply.indexOf("\n"));
        if (line.startsWith("err ")) {
            if (fd >= 0) {
                Native.closeQuietly(fd);
            }
            throw new IOException(line.substring(4));
        }
        return fd;
    }

    private int callForFd(String request) throws IOException {
        int fd = call(request);
        if (fd < 0) {
            throw new IOException("the namespace helper sent no descriptor for '" + request + "'");
        }
        return fd;
    }

    @Override
    public int openTap(String ifName, boolean vnetHdr) throws IOException {
        Native.checkIfName(ifName);
        return callForFd((vnetHdr ? "vtap " : "tap ") + ifName);
    }

    @Override
    public void setMac(String ifName, long mac) throws IOException {
        call("mac " + ifName + " " + Long.toHexString(mac));
    }

    @Override
    public void setUp(String ifName, int mtu) throws IOException {
        call("up " + ifName + " " + mtu);
    }

    @Override
    public void addAddress(String ifName, InetAddress addr, int prefixLen) throws IOException {
        call("addr " + ifName + " " + addr.getHostAddress() + " " + prefixLen);
    }

    @Override
    public void addDefaultRoute(String ifName, InetAddress gateway) throws IOException {
        call("route " + ifName + " " + gateway.getHostAddress());
    }

    @Override
    public int socket(boolean v6, boolean tcp) throws IOException {
        return callForFd("socket " + (v6 ? "6" : "4") + " " + (tcp ? "tcp" : "udp"));
    }

    @Override
    public String procNet(String name) throws IOException {
        if (!process.isAlive()) {
            throw new IOException("the namespace helper has exited");
        }
        // The helper is in the namespace: its /proc/PID/net is the namespace's (nsenter exec'd it, same pid).
        return Files.readString(Path.of("/proc/" + process.pid() + "/net/" + name));
    }

    @Override
    public void setupDone(boolean stillNeeded) {
        if (!stillNeeded) {
            close();
        }
    }

    /** The helper's pid (tests). */
    public long pid() {
        return process.pid();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close(); // the helper reads end of file and exits
        } catch (IOException e) {
            // it goes with us anyway
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        Native.closeQuietly(nsFd);
    }
}
