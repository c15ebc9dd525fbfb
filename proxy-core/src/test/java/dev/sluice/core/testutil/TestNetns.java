package dev.sluice.core.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * A throwaway network namespace for root-only tests ({@code *IT}): created with
 * {@code ip netns add} under a random name, loopback up, deleted by
 * {@link #close()}. {@link #enter()} moves the calling thread into it
 * (setns), which is how a test puts an event loop thread and the sockets it
 * opens there. Host-wide settings are never touched: sysctls are written
 * inside the namespace only.
 */
public final class TestNetns implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY = 0;

    /** The libc calls used. */
    public interface LibC {
        @SaveError
        int open(String path, int flags);

        @SaveError
        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    }

    private final String name;

    private TestNetns(String name) {
        this.name = name;
    }

    /** True when running as root with iproute2 available; tests assume this and skip otherwise. */
    public static boolean available() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    if (!line.substring(4).trim().split("\\s+")[1].equals("0")) {
                        return false;
                    }
                }
            }
            return Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                    || Files.isExecutable(Path.of("/usr/bin/ip")) || Files.isExecutable(Path.of("/bin/ip"));
        } catch (IOException e) {
            return false;
        }
    }

    public static TestNetns create(String prefix) throws IOException {
        String name = prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        run("ip", "netns", "add", name);
        TestNetns ns = new TestNetns(name);
        try {
            ns.exec("ip", "link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** Runs a command inside the namespace ({@code ip netns exec}); IOException when it fails. */
    public String exec(String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(cmd));
        return run(c.toArray(String[]::new));
    }

    /** Sets a sysctl of this namespace only. */
    public void sysctl(String key, String value) throws IOException {
        exec("sysctl", "-q", "-w", key + "=" + value);
    }

    /** Moves the calling thread into this namespace. */
    public void enter() {
        LibC libc = Holder.LIBC;
        int fd = libc.open("/run/netns/" + name, O_RDONLY);
        if (fd < 0) {
            throw new IllegalStateException("open netns " + name + ": errno "
                    + Runtime.getRuntime(libc).getLastError());
        }
        try {
            if (libc.setns(fd, CLONE_NEWNET) < 0) {
                throw new IllegalStateException("setns " + name + ": errno " + Runtime.getRuntime(libc).getLastError());
            }
        } finally {
            libc.close(fd);
        }
    }

    @Override
    public void close() {
        try {
            run("ip", "netns", "del", name);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // The commands used here are short-lived and print little: read to the end, then reap.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out.trim());
        }
        return out;
    }
}
