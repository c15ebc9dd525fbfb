package dev.sluice.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sluice started from its real command line ({@code bin/sluice} of the
 * unpacked distribution) inside a namespace, with its output in a log file.
 */
public final class SluiceProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private SluiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static Path home() {
        String h = System.getProperty("sluice.home");
        if (h == null) {
            throw new AssertionError("system property sluice.home is not set");
        }
        return Path.of(h);
    }

    public static Path workDir() throws IOException {
        Path p = Path.of(System.getProperty("sluice.it.work", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(p);
        return p;
    }

    /** Starts {@code bin/sluice args...} in namespace {@code ns} and waits for "Sluice is ready". */
    public static SluiceProcess start(String ns, String... args) throws Exception {
        return start(null, java.util.Map.of(), ns, args);
    }

    /**
     * Starts {@code bin/sluice args...} of the tree at {@code home} (null: {@link #home()}) in namespace
     * {@code ns}, with {@code home} as working directory (so {@code @etc/sluice.args} resolves) and
     * {@code env} added to the environment; waits for "Sluice is ready".
     */
    public static SluiceProcess start(Path home, java.util.Map<String, String> env, String ns, String... args)
            throws Exception {
        Path log = Files.createTempFile(workDir(), "sluice-", ".log");
        Path tree = home != null ? home : home();
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, tree.resolve("bin/sluice").toString()));
        argv.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (home != null) {
            pb.directory(home.toFile());
        }
        pb.environment().putAll(env);
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        SluiceProcess sp = new SluiceProcess(p, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (sp.log().contains("Sluice is ready")) {
                return sp;
            }
            if (!p.isAlive()) {
                throw new AssertionError("sluice exited with " + p.exitValue() + " before it was ready:\n" + sp.log());
            }
            Thread.sleep(100);
        }
        sp.close();
        throw new AssertionError("sluice was not ready within 30 s:\n" + sp.log());
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public Process process() {
        return process;
    }

    /** Waits until the log contains {@code text}, up to {@code seconds}. */
    public boolean awaitLog(String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (log().contains(text)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** SIGTERM, then SIGKILL after 10 s; returns the exit status. */
    public int stop() throws InterruptedException {
        if (process.isAlive()) {
            // ip netns exec execs sluice's sh, which execs java: one process to signal.
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        stop();
        System.out.println("---- sluice log " + log + " ----\n" + log());
    }
}
