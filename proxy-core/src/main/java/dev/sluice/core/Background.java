package dev.sluice.core;

import dev.sluice.core.host.Stdio;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * passt's "fork to the background once ready", for a JVM, which cannot fork: the
 * process the operator (or libvirt, or Podman) started re-executes its own command line
 * in a new session ({@code setsid}), waits until that child says it is ready — listening
 * on its socket, or its tap up and configured — and exits 0; or, when the child fails
 * first, prints what the child printed (its one-line error) and exits with its status.
 * The child writes the pid file (its own pid) before it says ready, then points its
 * standard streams at {@code /dev/null}, so a caller reading the parent's output until
 * end of file is not held up.
 *
 * <p>Why a second JVM and not a shell trick in the launcher: the options are parsed by
 * the one parser that knows them (a bad option fails in the parent, before any child),
 * and {@code -f} anywhere in an option cluster or an @file is understood the same way.
 */
public final class Background {
    /** Set in the child's environment: the file it writes "ready" into. */
    static final String READY_ENV = "SLUICE_READY_FILE";
    private static final String READY = "ready\n";

    private Background() {
    }

    /** True in the re-executed child: it must run in the foreground and report readiness. */
    public static boolean isChild() {
        String f = System.getenv(READY_ENV);
        return f != null && !f.isEmpty();
    }

    /**
     * Parent: starts the child and waits. Returns the exit status the parent should
     * exit with. {@code err} gets the child's output (its banner, or its error).
     */
    public static int spawnAndWait(PrintStream err) throws IOException, InterruptedException {
        ProcessHandle.Info info = ProcessHandle.current().info();
        Optional<String> java = info.command();
        Optional<String[]> args = info.arguments();
        if (java.isEmpty() || args.isEmpty()) {
            err.println("cannot go to the background: this JVM does not show its command line; use -f");
            return 1;
        }
        Path dir = Files.createTempDirectory("sluice-start-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path ready = dir.resolve("ready");
        Path out = dir.resolve("output");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add("setsid");
            cmd.add(java.get());
            cmd.addAll(List.of(args.get()));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectErrorStream(true);
            pb.environment().put(READY_ENV, ready.toString());
            Process child = pb.start();
            // Poll, not a pipe: a pipe's reader never sees end of file while the child
            // holds a writer, and the child keeps running after the parent is gone.
            long sleepMs = 5;
            while (true) {
                if (Files.exists(ready) && READY.equals(Files.readString(ready, StandardCharsets.US_ASCII))) {
                    copy(out, err);
                    return 0;
                }
                if (!child.isAlive()) {
                    copy(out, err);
                    int rc = child.exitValue();
                    // A child that exits 0 before it is ready did not start: still a failure.
                    return rc == 0 ? 1 : rc;
                }
                Thread.sleep(sleepMs);
                sleepMs = Math.min(50, sleepMs * 2);
            }
        } finally {
            Files.deleteIfExists(ready);
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }

    private static void copy(Path out, PrintStream err) throws IOException {
        if (Files.exists(out)) {
            err.write(Files.readAllBytes(out));
            err.flush();
        }
    }

    private static java.nio.channels.FileChannel readyChannel;

    /**
     * Child: opens the ready file now, while still privileged: by the time Sluice is
     * ready it runs as nobody, who may not create files in the parent's private
     * directory. Outside a background start this does nothing.
     */
    public static void prepare() throws IOException {
        String f = System.getenv(READY_ENV);
        if (f != null && !f.isEmpty() && readyChannel == null) {
            readyChannel = java.nio.channels.FileChannel.open(Path.of(f), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
        }
    }

    /**
     * Child: called once ready (after the pid file is written). Points the standard
     * streams at /dev/null (with {@code -l}, the log already goes to its file), then
     * tells the parent. Outside a background start this does nothing.
     */
    public static void ready() throws IOException {
        if (readyChannel == null) {
            return;
        }
        System.out.flush();
        System.err.flush();
        Stdio.detach(null);
        // one 6-byte write: the parent reads either nothing or all of it
        readyChannel.write(java.nio.ByteBuffer.wrap(READY.getBytes(StandardCharsets.US_ASCII)));
        readyChannel.close();
        readyChannel = null;
    }
}
