package dev.sluice.it.vm;

import dev.sluice.it.SluiceProcess;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small Linux guest under QEMU for end-to-end tests: Debian's kernel and a
 * busybox initramfs built by {@code integration-tests/vm/build-vm.sh} (once,
 * cached under {@code target/vm}), booted under TCG. The kernel logs to the
 * first serial port (a file); the second is a shell the test drives with
 * {@link #exec}: each command's output and exit status come back over it.
 * The network device is whatever {@link Netdev} says (vhost-user or stream).
 *
 * <p>Why TCG: /dev/kvm exists on the CI machines but a KVM guest hangs before
 * its kernel starts. Why {@code vectors=0}: Debian 12's QEMU 7.2 under TCG
 * crashes in msix_set_vector_notifiers when a vhost-user NIC with MSI-X starts
 * (docs/vhost-user.md).
 */
public final class TestVm implements AutoCloseable {
    /** QEMU arguments for the VM's one NIC. */
    public record Netdev(List<String> args) {
        /** virtio-net over vhost-user, Sluice (or another back-end) listening on {@code socket}. */
        public static Netdev vhostUser(Path socket) {
            return new Netdev(List.of("-chardev", "socket,id=c0,path=" + socket,
                    "-netdev", "vhost-user,id=n0,chardev=c0",
                    "-device", "virtio-net-pci,netdev=n0,vectors=0"));
        }

        /** virtio-net over QEMU's -netdev stream to a UNIX socket. */
        public static Netdev stream(Path socket) {
            return new Netdev(List.of("-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + socket,
                    "-device", "virtio-net-pci,netdev=n0"));
        }
    }

    public record Result(int exit, String out) {
        public Result ok() {
            if (exit != 0) {
                throw new AssertionError("guest command failed with " + exit + ":\n" + out);
            }
            return this;
        }
    }

    private static final Pattern END = Pattern.compile("@@END(\\d+) (\\d+)@@\n");
    private static final byte[] NUDGE = {'\n'};
    private static Path images;

    private final Process qemu;
    private final Path dir;
    private final Path bootLog;
    private final SocketChannel shell;
    private final StringBuilder pending = new StringBuilder();
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private int seq;

    private TestVm(Process qemu, Path dir, Path bootLog, SocketChannel shell) {
        this.qemu = qemu;
        this.dir = dir;
        this.bootLog = bootLog;
        this.shell = shell;
    }

    /** The kernel and initramfs, built by build-vm.sh on first use (several minutes' download at most once). */
    public static synchronized Path images() throws IOException, InterruptedException {
        if (images == null) {
            Path out = Path.of(System.getProperty("sluice.vm.dir", "target/vm"));
            String script = System.getProperty("sluice.vm.script", "vm/build-vm.sh");
            Process p = new ProcessBuilder("sh", script, out.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("build-vm.sh failed:\n" + log);
            }
            images = out;
        }
        return images;
    }

    /** Whether this machine can boot the VM: QEMU and what build-vm.sh needs. */
    public static boolean available() {
        for (String tool : new String[] {"qemu-system-x86_64", "apt-get", "dpkg-deb", "busybox", "iperf3", "socat"}) {
            if (!onPath(tool)) {
                return false;
            }
        }
        return true;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Boots the VM with QEMU in namespace {@code ns} (QEMU itself needs no
     * network: it only reaches the socket) and waits until the guest's shell answers.
     */
    public static TestVm boot(String ns, Netdev netdev) throws Exception {
        Path img = images();
        Path dir = Files.createTempDirectory(SluiceProcess.workDir(), "vm-");
        Path bootLog = dir.resolve("boot.log");
        Path shellSock = dir.resolve("shell.sock");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, "qemu-system-x86_64",
                "-accel", "tcg", "-m", "512M", "-smp", "1", "-nodefaults", "-display", "none", "-no-reboot",
                "-kernel", img.resolve("vmlinuz").toString(), "-initrd", img.resolve("initramfs.cpio.gz").toString(),
                "-append", "console=ttyS0 quiet panic=-1",
                "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
                "-serial", "file:" + bootLog,
                "-chardev", "socket,id=sh0,path=" + shellSock + ",server=on,wait=off", "-serial", "chardev:sh0"));
        argv.addAll(netdev.args());
        Process q = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        return attach(q, dir, bootLog, shellSock);
    }

    /**
     * Drives a VM someone else started (libvirt): its first serial port logs to {@code bootLog}, the second
     * listens on {@code shellSock}; {@code q} lives as long as the VM (e.g. {@code tail --pid}) and
     * {@code dir} may hold a {@code qemu.log}.
     */
    public static TestVm attach(Process q, Path dir, Path bootLog, Path shellSock) throws Exception {
        SocketChannel sh = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sh == null) {
            try {
                sh = SocketChannel.open(StandardProtocolFamily.UNIX);
                sh.connect(UnixDomainSocketAddress.of(shellSock));
            } catch (IOException e) {
                sh.close();
                sh = null;
                if (!q.isAlive() || System.nanoTime() > deadline) {
                    q.destroyForcibly();
                    Path log = dir.resolve("qemu.log");
                    throw new AssertionError("QEMU did not start:\n" + (Files.exists(log) ? Files.readString(log) : ""));
                }
                Thread.sleep(100);
            }
        }
        TestVm vm = new TestVm(q, dir, bootLog, sh);
        try {
            // Nothing is sent before init has set the shell's tty raw and silent.
            long ready = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!vm.bootLog().contains("VM: init ready")) {
                if (System.nanoTime() > ready || !q.isAlive()) {
                    throw new IOException("no 'VM: init ready' on the console");
                }
                Thread.sleep(200);
            }
            // The shell starts once the init script is done; the first answer proves it.
            vm.exec("true", 120).ok();
        } catch (AssertionError | IOException e) {
            vm.close();
            throw new AssertionError("the VM did not come up: " + e.getMessage() + "\nboot log:\n" + vm.bootLog(), e);
        }
        return vm;
    }

    /** Runs {@code command} in the guest's shell; its output (stdout and stderr) and exit status. */
    public Result exec(String command, int timeoutSeconds) throws IOException, InterruptedException {
        int n = ++seq;
        // The marker is printed by the shell, never echoed (the tty does not echo), so it cannot match early.
        // stdin is /dev/null: the shell's own input carries the nudges below, no command may read them.
        String line = "{ " + command + "\n} </dev/null 2>&1; echo \"@@END" + n + " $?@@\"\n";
        shell.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
        shell.configureBlocking(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long nextNudge = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        try {
            while (true) {
                Matcher m = END.matcher(pending);
                while (m.find()) {
                    if (Integer.parseInt(m.group(1)) == n) {
                        String out = pending.substring(0, m.start());
                        int exit = Integer.parseInt(m.group(2));
                        pending.delete(0, m.end());
                        return new Result(exit, out);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("guest command timed out after " + timeoutSeconds + " s: " + command
                            + "\noutput so far:\n" + pending);
                }
                if (!qemu.isAlive()) {
                    throw new IOException("QEMU exited (" + qemu.exitValue() + ") during: " + command);
                }
                in.clear();
                int r = shell.read(in);
                if (r < 0) {
                    throw new IOException("the guest's shell closed during: " + command);
                }
                if (r == 0) {
                    Thread.sleep(20);
                    if (System.nanoTime() > nextNudge) {
                        // Under TCG the guest's 8250 driver sometimes stalls its transmit until the
                        // port sees input: an empty line (a no-op for the shell) gets output moving.
                        shell.write(ByteBuffer.wrap(NUDGE));
                        nextNudge = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                    }
                    continue;
                }
                pending.append(new String(in.array(), 0, r, StandardCharsets.UTF_8).replace("\r", ""));
            }
        } finally {
            shell.configureBlocking(true);
        }
    }

    /** Copies a host file into the guest (base64 over the shell: for scripts and small files). */
    public void put(String guestPath, byte[] data) throws IOException, InterruptedException {
        String b64 = java.util.Base64.getMimeEncoder().encodeToString(data);
        exec("base64 -d > " + guestPath + " <<'@@EOF'\n" + b64 + "\n@@EOF", 60).ok();
    }

    public String bootLog() {
        try {
            return Files.readString(bootLog, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no boot log: " + e + ")";
        }
    }

    /** QEMU's process id (the ip netns exec wrapper execs QEMU). */
    public long pid() {
        return qemu.pid();
    }

    public boolean alive() {
        return qemu.isAlive();
    }

    /** SIGKILL to QEMU: the guest vanishes without any goodbye to the back-end. */
    public void kill() throws InterruptedException {
        qemu.descendants().forEach(ProcessHandle::destroyForcibly);
        qemu.destroyForcibly();
        qemu.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        try {
            shell.close();
        } finally {
            kill();
        }
    }
}
