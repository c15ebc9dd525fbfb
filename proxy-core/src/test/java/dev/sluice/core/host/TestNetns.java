package dev.sluice.core.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away network namespaces for integration tests (root only). Names get a
 * random suffix so parallel runs never collide; {@link #close} deletes every
 * namespace this instance created (veth pairs go with them).
 */
final class TestNetns implements AutoCloseable {
    private final String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    private final List<String> created = new ArrayList<>();

    /** Creates namespace "PREFIX-SUFFIX" with lo up and returns its name. */
    String create(String prefix) throws IOException {
        String name = prefix + "-" + suffix;
        run("ip", "netns", "add", name);
        created.add(name);
        ip(name, "link", "set", "lo", "up");
        return name;
    }

    /** Runs {@code ip -n ns ARGS...} and returns its stdout; fails on a non-zero exit. */
    static String ip(String ns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** Runs a command inside ns ({@code ip netns exec}). */
    static String exec(String ns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** Runs a command with a 20 s limit; returns stdout, throws with stderr on failure. */
    static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + err.trim());
        }
        return out;
    }

    /** Waits (poll(2), at most millis) until fd is readable. */
    static boolean waitReadable(int fd, int millis) {
        java.nio.ByteBuffer pfd = Native.direct(8); // struct pollfd: int fd, short events, short revents
        pfd.putInt(0, fd).putShort(4, (short) 1 /* POLLIN */);
        int n = Native.LIBC.poll(Native.address(pfd), 1, millis);
        return n > 0 && (pfd.getShort(6) & 1) != 0;
    }

    /** The interface index of ifName in ns, from {@code ip -o link}. */
    static int ifIndex(String ns, String ifName) throws IOException {
        String line = ip(ns, "-o", "link", "show", "dev", ifName);
        return Integer.parseInt(line.substring(0, line.indexOf(':')).trim());
    }

    @Override
    public void close() {
        for (String ns : created) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                System.err.println("could not delete namespace " + ns + ": " + e.getMessage());
            }
        }
        created.clear();
    }
}
