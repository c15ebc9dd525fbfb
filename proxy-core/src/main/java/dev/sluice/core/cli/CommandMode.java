package dev.sluice.core.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * pasta's command mode, {@code pasta [OPTIONS] [COMMAND [ARG]...]}: COMMAND (default: the
 * user's shell) runs in a new network namespace made for it, Sluice serves that namespace
 * through its tap, and pasta exits with COMMAND's status.
 *
 * <p>The namespace comes from util-linux {@code unshare --net}, which then runs a small
 * {@code sh} that waits for Sluice's go (a file, opened before Sluice drops its privileges, getting a byte) before it execs COMMAND with
 * the terminal as its standard streams, so COMMAND never sees a namespace without its
 * interface. Why a helper process and not {@code unshare(2)} in the JVM: the namespace
 * must belong to COMMAND, not to Sluice, and {@code unshare(CLONE_NEWNET)} on a JVM thread
 * would move only that thread.
 *
 * <p>As an ordinary user (rootless, as pasta): {@code unshare --user --map-root-user --net},
 * so COMMAND runs as root of a new user namespace that maps only the caller's uid and gid
 * (pasta's own mapping: no /etc/subuid range, no setuid helper), with a network namespace
 * owned by it. Sluice itself stays in the caller's namespaces; its tap and namespace
 * sockets come from a helper that enters both ({@link dev.sluice.core.host.NsAgentClient}).
 */
final class CommandMode {
    private static final long GO_POLL_MS = 20;

    private final Process process;
    private final Path go;
    /** Opened while privileged: once ready Sluice runs as nobody and could not create the file. */
    private final java.nio.channels.FileChannel goChannel;

    private CommandMode(Process process, Path go, java.nio.channels.FileChannel goChannel) {
        this.process = process;
        this.go = go;
        this.goChannel = goChannel;
    }

    static CommandMode start(List<String> command) throws IOException {
        boolean rootless = !isRoot();
        List<String> cmd = new ArrayList<>(command);
        if (cmd.isEmpty()) {
            String shell = System.getenv("SHELL");
            cmd.add(shell != null && !shell.isEmpty() ? shell : "/bin/sh");
        }
        Path dir = Files.createTempDirectory("sluice-cmd-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path go = dir.resolve("go");
        List<String> argv = new ArrayList<>(rootless ? List.of("unshare", "--user", "--map-root-user", "--net")
                : List.of("unshare", "--net"));
        argv.addAll(List.of("--", "sh", "-c",
                // bounded by Sluice: it kills this process when it fails before it says go
                "ip link set lo up 2>/dev/null; while [ ! -s \"$0\" ]; do sleep 0.02; done; rm -f \"$0\"; rmdir \"${0%/go}\"; exec \"$@\"",
                go.toString()));
        argv.addAll(cmd);
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(go,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        Process p = new ProcessBuilder(argv).inheritIO().start();
        CommandMode m = new CommandMode(p, go, ch);
        m.awaitNamespace(rootless);
        return m;
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** unshare execs sh in the new namespace under the same pid: wait until it has. */
    private void awaitNamespace(boolean rootless) throws IOException {
        Path mine = Path.of("/proc/self/ns/net");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("pasta: unshare " + (rootless ? "--user --map-root-user " : "")
                        + "--net failed (exit " + process.exitValue() + ")");
            }
            try {
                Path theirs = Path.of(netnsPath());
                // rootless: unshare writes the uid map after it unshared; the helper needs it written
                if (!Files.readSymbolicLink(theirs).equals(Files.readSymbolicLink(mine))
                        && (!rootless || !Files.readString(Path.of("/proc/" + process.pid() + "/uid_map")).isBlank())) {
                    return;
                }
                Thread.sleep(GO_POLL_MS);
            } catch (IOException e) {
                // not there yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting the command");
            }
        }
        process.destroyForcibly();
        throw new IOException("the command's network namespace did not appear within 10 s");
    }

    String netnsPath() {
        return "/proc/" + process.pid() + "/ns/net";
    }

    /** Lets the command start: its namespace's tap is ready (the go file is no longer empty). */
    void go() {
        try {
            goChannel.write(java.nio.ByteBuffer.wrap(new byte[] {'1'}));
            goChannel.close();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the command: " + e.getMessage(), e);
        }
    }

    CompletableFuture<?> exited() {
        return process.onExit();
    }

    /** The command's status once it exited; Sluice's own when the command never ran. */
    int exitStatus(int sluiceStatus) throws InterruptedException {
        if (process.isAlive() && sluiceStatus != 0) {
            return sluiceStatus;
        }
        return process.waitFor();
    }

    void kill() {
        if (process.isAlive()) {
            process.destroy();
        }
        try {
            goChannel.close();
            Files.deleteIfExists(go);
            Files.deleteIfExists(go.getParent());
        } catch (IOException e) {
            // a temp dir left behind is no reason to fail the exit
        }
    }
}
