package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sluice as libvirt and Podman run passt and pasta: started as {@code bin/pasta} /
 * {@code bin/passt}, it returns once ready with the pid file written and nothing of its
 * output held open (Podman reads pasta's output to the end), serves the namespace,
 * splices {@code -T} ports to the host's loopback, and quits when its namespace goes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PasstCompatIT {
    private Topology topo;
    private Path dir;
    private Path pidFile;
    private long pid;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        dir = Files.createTempDirectory(SluiceProcess.workDir(), "compat-");
        // sticky and world-writable like /tmp: Sluice, dropped to nobody once set up, removes
        // its pid file and socket where that user may (docs/security.md)
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Cmd.run(5, "chmod", "+t", dir.toString()).ok();
        pidFile = dir.resolve("pasta.pid");
        // A host service on h's loopback, v4 and v6, for -T.
        Cmd.run(5, "sh", "-c", "ip netns exec " + topo.h + " socat -t 5 TCP4-LISTEN:18080,bind=127.0.0.1,reuseaddr,fork "
                + "SYSTEM:'echo spliced-v4' >/dev/null 2>&1 &");
        Cmd.run(5, "sh", "-c", "ip netns exec " + topo.h + " socat -t 5 TCP6-LISTEN:18080,bind=[::1],reuseaddr,fork "
                + "SYSTEM:'echo spliced-v6' >/dev/null 2>&1 &");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        } finally {
            if (topo != null) {
                topo.close(); // also kills what still runs in h (socat)
            }
        }
    }

    private String bin(String name) {
        return SluiceProcess.home().resolve("bin/" + name).toString();
    }

    @Test
    @Order(1)
    void pastaReturnsOnceTheTapIsConfigured() throws Exception {
        // Podman's own argv, with the test's namespace and a -T port and the guest's names added.
        Cmd.Result r = Cmd.inNs(topo.h, 60, bin("pasta"), "--config-net", "--dns-forward", "169.254.1.1",
                "-t", "none", "-u", "none", "-T", "18080", "-U", "none", "--no-map-gw", "--quiet",
                "--map-guest-addr", "169.254.1.2", "--pid", pidFile.toString(), "-I", "tap0",
                "-H", "vmhost", "--fqdn", "vmhost.sluice.test", "--netns", topo.g);
        // Cmd.run reads the output to its end: a background child that kept it would time out (-999).
        assertEquals(0, r.exit(), r.out());
        assertFalse(r.out().contains("[INFO]"), "--quiet: warnings at most, got: " + r.out());
        pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("pid " + pid + " is not running"));
        assertTrue(h.info().command().orElse("").endsWith("java"), h.info().toString());
        // its own session, standard streams on /dev/null
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(String.valueOf(pid), f[3], "session id: " + stat);
        for (int fd = 0; fd <= 2; fd++) {
            assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString());
        }
        // ready means configured: the address is there when pasta has returned
        String addr = Cmd.inNs(topo.g, 10, "ip", "addr", "show", "tap0").ok().out();
        assertTrue(addr.contains("inet 10.77.0.1/24"), addr);
    }

    @Test
    @Order(2)
    void dhcpOffersTheHostName() throws Exception {
        Map<String, String> env = Guest.udhcpc(topo.g, "tap0");
        assertEquals("vmhost", env.get("hostname"), env.toString());
    }

    @Test
    @Order(3)
    void tcpNsPortsReachTheHostsLoopback() {
        Cmd.Result v4 = Cmd.shIn(topo.g, 15, "socat -t2 - TCP4:127.0.0.1:18080 </dev/null");
        assertEquals("spliced-v4", v4.out().trim(), v4.toString());
        Cmd.Result v6 = Cmd.shIn(topo.g, 15, "socat -t2 - TCP6:[::1]:18080 </dev/null");
        assertEquals("spliced-v6", v6.out().trim(), v6.toString());
        // a bigger transfer, both halves closed in turn
        Cmd.Result big = Cmd.shIn(topo.g, 30, "head -c 4000000 /dev/zero | socat -t2 - TCP4:127.0.0.1:18080 | wc -c");
        assertEquals("spliced-v4", Cmd.shIn(topo.g, 15, "socat -t2 - TCP4:127.0.0.1:18080 </dev/null").out().trim());
        assertEquals(0, big.exit(), big.toString());
    }

    @Test
    @Order(4)
    void pastaQuitsWhenItsNamespaceIsDeleted() throws Exception {
        String ns = "scompat-" + topo.suffix;
        Path resolv = Path.of("/etc/netns", ns, "resolv.conf");
        Files.createDirectories(resolv.getParent());
        Files.writeString(resolv, "nameserver 10.99.0.1\n");
        Path pid2File = dir.resolve("pasta2.pid");
        try {
            Cmd.run(10, "ip", "netns", "add", ns).ok();
            Cmd.Result r = Cmd.inNs(topo.h, 60, bin("pasta"), "--config-net", "-q", "-P", pid2File.toString(),
                    "-I", "tap0", "--netns", ns);
            assertEquals(0, r.exit(), r.out());
            long pid2 = Long.parseLong(Files.readString(pid2File).trim());
            ProcessHandle h2 = ProcessHandle.of(pid2).orElseThrow();
            Cmd.run(10, "ip", "netns", "del", ns).ok();
            assertTrue(h2.onExit().toCompletableFuture().completeOnTimeout(null, 15, java.util.concurrent.TimeUnit.SECONDS)
                    .get() != null, "pasta still running 15 s after its namespace was deleted");
            assertFalse(Files.exists(pid2File), "pid file removed");
        } finally {
            Cmd.run(10, "ip", "netns", "del", ns);
            Files.deleteIfExists(resolv);
            Files.deleteIfExists(resolv.getParent());
        }
    }

    @Test
    @Order(5)
    void aFailureBeforeReadyIsOneLineAndNonZero() {
        Cmd.Result r = Cmd.inNs(topo.h, 60, bin("pasta"), "--config-net", "--netns", "no-such-ns-" + topo.suffix);
        assertEquals(1, r.exit(), r.out());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertTrue(r.out().startsWith("pasta: ") && r.out().contains("no-such-ns-" + topo.suffix), r.out());
    }

    @Test
    @Order(6)
    void passtListensThenReturnsAndCleansUpOnTerm() throws Exception {
        Path sock = dir.resolve("passt.socket");
        Path pid3File = dir.resolve("passt.pid");
        Cmd.Result r = Cmd.inNs(topo.h, 60, bin("passt"), "--one-off", "--socket", sock.toString(),
                "--pid", pid3File.toString(), "--hostname", "vm1", "--fqdn", "vm1.sluice.test", "-t", "2222:22");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("UNIX domain socket bound at " + sock), "passt prints its banner before: " + r.out());
        assertTrue(Files.exists(sock), "listening when passt returned");
        long pid3 = Long.parseLong(Files.readString(pid3File).trim());
        ProcessHandle h3 = ProcessHandle.of(pid3).orElseThrow();
        h3.destroy(); // SIGTERM
        assertTrue(h3.onExit().toCompletableFuture().completeOnTimeout(null, 15, java.util.concurrent.TimeUnit.SECONDS)
                .get() != null, "passt did not stop on SIGTERM");
        assertFalse(Files.exists(pid3File), "pid file removed");
        assertFalse(Files.exists(sock), "socket removed");
    }

    @Test
    @Order(7)
    void commandModeRunsTheCommandInANamespaceOfItsOwnAndPassesItsStatus() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Path file = Files2.random(www, "f", 1 << 20, 9);
        try (Background bg = new Background()) {
            bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
            Thread.sleep(300);
            Cmd.Result r = Cmd.inNs(topo.h, 90, bin("pasta"), "--config-net", "-q", "--",
                    "sh", "-c", "ip -br addr show; wget -q -O - http://10.99.0.1/f | sha256sum | cut -d' ' -f1; exit 3");
            assertEquals(3, r.exit(), r.out());
            assertTrue(r.out().contains(Files2.sha256(file)), r.out());
            assertTrue(r.out().contains("10.77.0.1/24"), "the command saw the configured interface: " + r.out());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("lo ") && l.contains("UNKNOWN")),
                    "loopback up: " + r.out());
        }
    }

    @Test
    @Order(8)
    void versionSaysWhatItIs() {
        String v = Cmd.run(30, bin("pasta"), "--version").ok().out();
        assertTrue(v.startsWith("pasta (Sluice "), v);
        String w = Cmd.run(30, bin("passt"), "--version").ok().out();
        assertTrue(w.startsWith("passt (Sluice "), w);
    }
}
