package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Privileges like passt's: a running instance started as root has left uid 0
 * on every thread, holds no capability, has no_new_privs and the seccomp
 * filter (mode 2) on every thread, and still translates: DHCP, TCP to "the
 * internet" and ping through ping sockets (h's ping_group_range admits every
 * group, as an operator has to set it for nobody's).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrivilegesIT {
    private Topology topo;
    private final Background bg = new Background();
    private Path tmp;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        // Under /tmp: a UNIX socket path has at most 107 bytes.
        tmp = Files.createTempDirectory("sl-pri-");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path www = Files.createDirectories(tmp.resolve("www"));
        Files.writeString(www.resolve("hello"), "hello from lan\n");
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            bg.close();
            Cmd.run(30, "rm", "-rf", "--", tmp.toString());
        } finally {
            if (topo != null) {
                topo.close();
            }
        }
    }

    @Test
    void rootWithoutRunasBecomesNobodyOnEveryThreadAndStillWorks() throws Exception {
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net")) {
            assertConfined(s.process().pid(), "65534", "65534", true);
            assertTrue(s.log().contains("running as uid 65534 gid 65534, no capabilities"), s.log());
            Map<String, String> lease = Guest.udhcpc(topo.g, "tap0");
            assertEquals("10.77.0.1", lease.get("ip"), lease.toString());
            Cmd.Result get = Cmd.shIn(topo.g, 60, "curl -sS --fail --max-time 30 http://10.99.0.1/hello");
            assertEquals("hello from lan", get.ok().out().trim());
            Cmd.shIn(topo.g, 30, "ping -c 2 -W 3 10.99.0.1").ok();
            // no thread got its privileges back while working
            assertConfined(s.process().pid(), "65534", "65534", true);
        }
    }

    @ParameterizedTest(name = "--runas {0}")
    @CsvSource({"1234:4321, 1234, 4321", "nobody, 65534, 65534", "daemon:nogroup, 1, 65534"})
    void runasVariants(String runas, String uid, String gid) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "runas-");
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--runas", runas, "-s", dir.resolve("s.sock").toString())) {
            assertConfined(s.process().pid(), uid, gid, true);
        }
    }

    @Test
    void runasRootKeepsRootButIsConfined() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "runas-root-");
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--runas", "root", "-s", dir.resolve("s.sock").toString())) {
            assertConfined(s.process().pid(), "0", "0", false);
        }
    }

    @Test
    void aNonRootProcessKeepsItsUserIsConfinedAndCannotBecomeAnother() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "nonroot-");
        Cmd.run(10, "chmod", "1777", dir.toString()).ok();
        String bin = SluiceProcess.home().resolve("bin/sluice").toString();
        Path log = dir.resolve("sluice.log");
        Process p = new ProcessBuilder("ip", "netns", "exec", topo.h, "setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", bin, "-s", dir.resolve("s.sock").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(log).contains("Sluice is ready") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(Files.readString(log).contains("Sluice is ready"), Files.readString(log));
            assertConfined(p.pid(), "65534", "65534", true);
        } finally {
            p.destroy();
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        Cmd.Result other = Cmd.inNs(topo.h, 60, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin,
                "--runas", "1234", "-s", dir.resolve("t.sock").toString());
        assertEquals(2, other.exit(), other.out());
        assertTrue(other.out().trim().lines().count() == 1
                && other.out().contains("option '--runas': only root can run as another user"), other.out());
    }

    @Test
    void rootOfAnotherUserNamespaceStaysAsPasstDoesAndIsConfined() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "userns-");
        Cmd.run(10, "chmod", "1777", dir.toString()).ok();
        String bin = SluiceProcess.home().resolve("bin/sluice").toString();
        // Rootless, as pasta's users run it: root only inside a user namespace of our own.
        String script = "ip link set lo up; " + bin + " -s " + dir.resolve("s.sock") + " -P " + dir.resolve("pid")
                + " -a 10.0.0.2 -g 10.0.0.1 > " + dir.resolve("log") + " 2>&1 & "
                + "for i in $(seq 300); do grep -q 'Sluice is ready' " + dir.resolve("log") + " && break; sleep 0.1; done; "
                + "p=$(cat " + dir.resolve("pid") + "); cat /proc/$p/task/*/status | grep -E '^(Uid|NoNewPrivs|Seccomp):'"
                + " | tr -s '\\t ' ' ' | sort | uniq -c; kill -TERM $p; wait; echo exit $?";
        Cmd.Result r = Cmd.inNs(topo.h, 90, "unshare", "--user", "--map-root-user", "--net", "sh", "-c", script);
        String out = r.ok().out() + Files.readString(dir.resolve("log"));
        assertTrue(out.contains("running as uid 0 gid (unchanged)"), out);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) Uid: 0 0 0 0").matcher(out);
        assertTrue(m.find(), out);
        String threads = m.group(1);
        assertTrue(out.contains(threads + " NoNewPrivs: 1") && out.contains(threads + " Seccomp: 2")
                && !out.contains("Uid: 65534"), "every thread confined: " + out);
        assertTrue(out.contains("exit 0"), out);
    }

    private static void assertConfined(long pid, String uid, String gid, boolean noCaps) throws Exception {
        List<Map<String, String>> threads = ProcStatus.allThreads(pid);
        assertTrue(threads.size() > 10, "a JVM's threads: " + threads.size());
        for (Map<String, String> t : threads) {
            String who = "thread " + t.get("Pid") + " (" + t.get("Name") + ")";
            assertEquals(String.join(" ", uid, uid, uid, uid), t.get("Uid"), who);
            assertEquals(String.join(" ", gid, gid, gid, gid), t.get("Gid"), who);
            assertEquals("", t.get("Groups"), who);
            if (noCaps) {
                assertEquals("0000000000000000", t.get("CapEff"), who);
                assertEquals("0000000000000000", t.get("CapPrm"), who);
            }
            assertEquals("1", t.get("NoNewPrivs"), who);
            assertEquals("2", t.get("Seccomp"), who);
            assertEquals("1", t.get("Seccomp_filters"), who + ": exactly Sluice's filter");
        }
    }
}
