package dev.sluice.it;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU as the stream-socket client, without booting a guest: inside
 * the guest namespace it bridges a tap (the guest kernel's interface) to
 * Sluice's socket through a hub, as the design notes describe.
 */
public final class Qemu implements AutoCloseable {
    private final Process process;
    private final Path log;

    private Qemu(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static boolean available() {
        return Cmd.has("qemu-system-x86_64");
    }

    /** Starts QEMU in {@code ns}, joining tap {@code tap} to the stream socket {@code socket}. */
    public static Qemu start(String ns, String tap, Path socket) throws Exception {
        Path log = Files.createTempFile(SluiceProcess.workDir(), "qemu-", ".log");
        List<String> argv = List.of("ip", "netns", "exec", ns, "qemu-system-x86_64",
                "-M", "none", "-display", "none", "-nodefaults", "-monitor", "none", "-serial", "none",
                "-netdev", "tap,id=t0,ifname=" + tap + ",script=no,downscript=no",
                "-netdev", "stream,id=s0,server=off,addr.type=unix,addr.path=" + socket,
                "-netdev", "hubport,id=p0,hubid=0,netdev=t0",
                "-netdev", "hubport,id=p1,hubid=0,netdev=s0");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return new Qemu(p, log);
    }

    public boolean alive() {
        return process.isAlive();
    }

    public String log() throws Exception {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
