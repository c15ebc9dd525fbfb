package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.it.vm.TestVm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real libvirtd (the machine's, started by the test inside h, in a private mount namespace whose
 * /etc/libvirt, /var/lib/libvirt, /run/libvirt, /var/cache/libvirt and /var/log/libvirt are directories of
 * this test, so the machine's libvirt state is never touched) boots the test VM (direct kernel boot, TCG)
 * with Sluice as its passt: Sluice's {@code bin/passt} is the {@code passt} on libvirtd's PATH.
 *
 * <p>First the domain is defined with {@code <interface type='user'><backend type='passt'/>}. Debian 12's
 * libvirt 9.0.0-4 refuses that at parse time (Debian's patch "Disable passt support"; the code behind it,
 * qemu_passt.c, is built in). Then, and only then, the test does what that code would have done: it starts
 * Sluice with libvirt 9.0's argv as libvirt's QEMU user with no capabilities, and gives QEMU the
 * {@code -netdev stream} libvirt 9.0 generates (through {@code <qemu:commandline>}). Where libvirt accepts
 * the backend, libvirt starts Sluice itself. Either way one boot serves every check: DHCP, a download with
 * sha256 equal, the port forward, and nothing of Sluice left after {@code virsh destroy}.
 * See docs/podman-libvirt-kubevirt.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtIT {
    private static final String DOMAIN = "sluice-it";
    private static final String MAC = "52:54:00:5a:11:01";
    /** What Debian's patch answers for {@code <backend type='passt'/>}. */
    static final String DEBIAN_REFUSAL = "Invalid value for attribute 'type' in element 'backend': 'passt'";
    private static final String QEMU_USER = "libvirt-qemu";

    private Topology topo;
    private final Background bg = new Background();
    private Path work;
    private String uri;
    private Process libvirtd;
    private TestVm vm;
    private Process vmWatch;
    private boolean nativePasst;
    private String refusal;
    private List<String> passtArgv;
    private Path passtLog;
    private String fileSha;

    @BeforeAll
    void start() throws Exception {
        boolean root = "0".equals(Cmd.run(10, "id", "-u").out().trim());
        Prerequisites.require(root && Cmd.has("libvirtd") && Cmd.has("virsh") && Cmd.has("setpriv")
                && Cmd.has("unshare") && Cmd.run(10, "id", QEMU_USER).exit() == 0 && TestVm.available(),
                "root, libvirtd, virsh, setpriv, unshare, the user " + QEMU_USER + " and the test VM's tools");
        Path images = TestVm.images();
        topo = Topology.create();
        work = Files.createTempDirectory(SluiceProcess.workDir(), "libvirt-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("etc", "lib", "run", "cache", "log", "sock", "bin", "www")) {
            Files.createDirectories(work.resolve(d));
        }
        // The VM's files: a copy, since libvirt hands them to its QEMU user (and the serial files are that user's).
        Path vmDir = Files.createDirectories(work.resolve("vm"));
        Files.copy(images.resolve("vmlinuz"), vmDir.resolve("vmlinuz"));
        Files.copy(images.resolve("initramfs.cpio.gz"), vmDir.resolve("initramfs.cpio.gz"));
        Path passtDir = Files.createDirectories(work.resolve("passt"));
        Cmd.run(10, "chown", "-R", QEMU_USER + ":" + QEMU_USER, vmDir.toString(), passtDir.toString()).ok();

        Path www = work.resolve("www");
        Cmd.run(60, "sh", "-c", "head -c 4194304 /dev/urandom > " + www.resolve("file")).ok();
        fileSha = Cmd.run(60, "sh", "-c", "sha256sum " + www.resolve("file") + " | cut -c1-64").ok().out().trim();
        bg.start(topo.lan, "busybox httpd -f -p 10.99.0.1:8080 -h " + www);

        // Sluice's passt is the passt on libvirtd's PATH (libvirt 9.0 runs "passt" through a PATH lookup).
        Files.createSymbolicLink(work.resolve("bin/passt"), SluiceProcess.home().resolve("bin/passt"));
        Files.writeString(work.resolve("libvirtd.conf"), "unix_sock_dir = \"" + work.resolve("sock") + "\"\n"
                + "unix_sock_rw_perms = \"0700\"\nauth_unix_ro = \"none\"\nauth_unix_rw = \"none\"\n"
                + "log_outputs = \"3:file:" + work.resolve("libvirtd.log") + "\"\n");
        // No virtlogd (stdio_handler), no cgroups (none usable here), no mount namespace per VM (its
        // /dev would hide nothing we need, but it is one more thing to clean up); security driver DAC only.
        Files.writeString(work.resolve("etc/qemu.conf"), "stdio_handler = \"file\"\ncgroup_controllers = [ ]\n"
                + "namespaces = [ ]\nsecurity_driver = \"none\"\n");
        StringBuilder sh = new StringBuilder("set -e\n");
        for (String[] m : new String[][] {{"etc", "/etc/libvirt"}, {"lib", "/var/lib/libvirt"}, {"run", "/run/libvirt"},
                {"cache", "/var/cache/libvirt"}, {"log", "/var/log/libvirt"}}) {
            sh.append("mount --bind ").append(work.resolve(m[0])).append(' ').append(m[1]).append('\n');
        }
        sh.append("export PATH=").append(work.resolve("bin")).append(":/usr/sbin:/usr/bin:/sbin:/bin\n");
        sh.append("exec libvirtd --config ").append(work.resolve("libvirtd.conf"))
                .append(" --pid-file ").append(work.resolve("libvirtd.pid")).append('\n');
        Files.writeString(work.resolve("start-libvirtd.sh"), sh.toString());
        // A private mount namespace: the bind mounts above exist only for libvirtd and its children.
        libvirtd = bg.start(topo.h, "unshare --mount --propagation private sh " + work.resolve("start-libvirtd.sh"));
        uri = "qemu:///system?socket=" + work.resolve("sock/libvirt-sock");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (virsh(10, "version").exit() != 0) {
            if (!libvirtd.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("libvirtd did not come up:\n" + tail(work.resolve("libvirtd.log")));
            }
            Thread.sleep(300);
        }

        Path xml = work.resolve("domain.xml");
        Files.writeString(xml, domainXml("""
                    <interface type='user'>
                      <mac address='%s'/>
                      <portForward proto='tcp'><range start='2222' to='22'/></portForward>
                      <model type='virtio'/>
                      <backend type='passt' logFile='%s'/>
                    </interface>
                """.formatted(MAC, passtDir.resolve("passt.log")), ""));
        Cmd.Result define = virsh(60, "define", xml.toString());
        nativePasst = define.exit() == 0;
        if (nativePasst) {
            passtLog = passtDir.resolve("passt.log");
        } else {
            refusal = define.out();
            passtLog = passtDir.resolve("sluice.log");
            startPasstAsLibvirt90Would(passtDir);
            Files.writeString(xml, domainXml("", """
                      <qemu:commandline>
                        <qemu:arg value='-netdev'/>
                        <qemu:arg value='stream,id=hostnet0,server=off,addr.type=unix,addr.path=%s'/>
                        <qemu:arg value='-device'/>
                        <qemu:arg value='virtio-net-pci,netdev=hostnet0,mac=%s'/>
                      </qemu:commandline>
                    """.formatted(passtDir.resolve(DOMAIN + "-net0.socket"), MAC)));
            virsh(60, "define", xml.toString()).ok();
        }
        Cmd.Result started = virsh(120, "start", DOMAIN);
        if (started.exit() != 0) {
            throw new AssertionError(started.out() + "\n" + tail(work.resolve("log/qemu/" + DOMAIN + ".log")));
        }
        String pid = Files.readString(work.resolve("run/qemu/" + DOMAIN + ".pid")).trim();
        vmWatch = new ProcessBuilder("tail", "--pid=" + pid, "-f", "/dev/null").start();
        vm = TestVm.attach(vmWatch, vmDir, vmDir.resolve("boot.log"), vmDir.resolve("shell.sock"));
    }

    /**
     * libvirt 9.0's qemuPasstStart: {@code passt --one-off --socket S --mac-addr M [--log-file F]
     * [--tcp-ports SPEC]...} (no --pid: libvirt writes the pid file itself), run as the QEMU user with every
     * capability cleared, waited for until it returns.
     */
    private void startPasstAsLibvirt90Would(Path passtDir) {
        passtArgv = List.of("passt", "--one-off", "--socket", passtDir.resolve(DOMAIN + "-net0.socket").toString(),
                "--mac-addr", MAC, "--log-file", passtLog.toString(), "--tcp-ports", "2222:22");
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid", QEMU_USER, "--regid", QEMU_USER,
                "--clear-groups", "--inh-caps=-all", "env", "-i", "PATH=" + work.resolve("bin") + ":/usr/bin:/bin"));
        argv.addAll(passtArgv);
        Cmd.Result r = Cmd.inNs(topo.h, 60, argv.toArray(String[]::new));
        assertEquals(0, r.exit(), "passt returned " + r.exit() + ": " + r.out() + "\n" + tail(passtLog));
        assertTrue(Files.exists(passtDir.resolve(DOMAIN + "-net0.socket")), "the socket listens once passt returns");
    }

    private String domainXml(String iface, String qemuArgs) {
        Path vmDir = work.resolve("vm");
        return """
                <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
                  <name>%s</name>
                  <memory unit='MiB'>512</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='pc'>hvm</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
                  </os>
                  <on_reboot>destroy</on_reboot>
                  <devices>
                    <emulator>/usr/bin/qemu-system-x86_64</emulator>
                    <serial type='file'><source path='%s'/><target port='0'/></serial>
                    <serial type='unix'><source mode='bind' path='%s'/><target port='1'/></serial>
                %s    <video><model type='none'/></video>
                    <memballoon model='none'/>
                  </devices>
                %s</domain>
                """.formatted(DOMAIN, vmDir.resolve("vmlinuz"), vmDir.resolve("initramfs.cpio.gz"),
                vmDir.resolve("boot.log"), vmDir.resolve("shell.sock"), iface, qemuArgs);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (vm != null) {
                vm.close();
            }
            if (uri != null) {
                virsh(30, "destroy", DOMAIN);
                virsh(30, "undefine", DOMAIN);
            }
            bg.close();
        } finally {
            // libvirtd, QEMU and Sluice all run in h: the topology's teardown kills what is left there,
            // and the bind mounts die with libvirtd's mount namespace.
            if (topo != null) {
                topo.close();
            }
            if (work != null) {
                Cmd.run(30, "rm", "-rf", work.toString());
            }
        }
    }

    private Cmd.Result virsh(int timeout, String... args) {
        List<String> argv = new ArrayList<>(List.of("virsh", "-c", uri));
        argv.addAll(List.of(args));
        return Cmd.run(timeout, argv);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no " + log + ")";
        }
    }

    /** Sluice processes of this test: the passt personality with this test's directory on the command line. */
    private List<Long> sluiceProcesses() throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!p.getFileName().toString().matches("\\d+")) {
                    continue;
                }
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains("-Dsluice.invokedAs=passt") && cmd.contains(work.toString())) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return found;
    }

    @Test
    @Order(1)
    void libvirtStartsSluiceOrIsDebiansBuildWithPasstDisabled() throws Exception {
        if (!nativePasst) {
            assertTrue(refusal.contains(DEBIAN_REFUSAL), "libvirt refused the passt backend otherwise:\n" + refusal);
            String changelog = Cmd.run(10, "sh", "-c", "zcat /usr/share/doc/libvirt-daemon/changelog.Debian.gz").out();
            assertTrue(changelog.contains("Disable passt support"),
                    "libvirt refused the passt backend, but it is not Debian's build that disables it:\n" + refusal);
            System.out.println("LibvirtIT: this libvirt refuses <backend type='passt'/> (Debian's patch), Sluice started"
                    + " as libvirt 9.0 would: " + String.join(" ", passtArgv));
        } else {
            String log = Files.readString(work.resolve("log/qemu/" + DOMAIN + ".log"));
            System.out.println("LibvirtIT: libvirt started passt itself; its domain log:\n" + log);
        }
        assertFalse(sluiceProcesses().isEmpty(), "a Sluice serves the domain");
        assertTrue(Files.readString(passtLog).contains("Sluice is ready"), tail(passtLog));
        String uid = Cmd.run(10, "sh", "-c", "ps -o uid= -p " + sluiceProcesses().get(0)).out().trim();
        assertEquals(Cmd.run(10, "id", "-u", QEMU_USER).ok().out().trim(), uid, "Sluice runs as libvirt's QEMU user");
    }

    @Test
    @Order(2)
    void theGuestGetsItsLeaseAndDownloadsAFileIntact() throws Exception {
        String lease = vm.exec("ip link set eth0 up && udhcpc -i eth0 -s /udhcpc.script -n -q -t 10 -T 3 >/dev/null"
                + " && cat /tmp/lease", 90).ok().out();
        assertTrue(lease.contains("ip=10.77.0.1 "), lease);
        String out = vm.exec("wget -q -O - http://10.99.0.1:8080/file | sha256sum", 180).ok().out();
        assertTrue(out.startsWith(fileSha), "download sha256: " + out + " expected " + fileSha);
    }

    @Test
    @Order(3)
    void thePortForwardReachesAServerInTheGuest() throws Exception {
        vm.exec("(socat TCP4-LISTEN:22,reuseaddr,fork SYSTEM:'echo guest-service' >/dev/null 2>&1 &) ; sleep 1", 30).ok();
        Cmd.Result in = Cmd.shIn(topo.h, 30, "socat -t 10 - TCP:127.0.0.1:2222 </dev/null");
        assertTrue(in.out().contains("guest-service"), in.out() + "\n" + tail(passtLog));
    }

    @Test
    @Order(4)
    void virshDestroyLeavesNoSluiceProcessSocketOrPidFile() throws Exception {
        vm.close();
        vm = null;
        virsh(60, "destroy", DOMAIN).ok();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!sluiceProcesses().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(List.of(), sluiceProcesses(), "Sluice quits with its guest (--one-off)\n" + tail(passtLog));
        for (Path dir : List.of(work.resolve("passt"), work.resolve("run/qemu/passt"))) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    List<Path> left = s.filter(p -> p.toString().endsWith(".socket") || p.toString().endsWith(".pid")).toList();
                    assertEquals(List.of(), left, "socket and pid files removed");
                }
            }
        }
        virsh(60, "undefine", DOMAIN).ok();
        assertTrue(Files.readString(passtLog).contains("Sluice is ready"));
    }
}
