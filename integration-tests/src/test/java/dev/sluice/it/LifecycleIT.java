package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nothing of the operator's destroyed, from the distribution's bin/sluice:
 * every stop signal cleans up and exits 0 (after the drop to nobody, in a
 * directory nobody may delete from), a stale socket is replaced and a live
 * one refused, failures at run time are one line with exit 1 (bad usage,
 * exit 2, is MalformedInvocationsTest's), and {@code -t all} skips a port
 * that someone else holds with one warning.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LifecycleIT {
    private Topology topo;
    private final Background bg = new Background();
    private Path tmp;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        // Under /tmp: a UNIX socket path has at most 107 bytes.
        tmp = Files.createTempDirectory("sl-lif-");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
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

    /** A sticky world-writable directory, like /tmp: the dropped instance may remove what it owns. */
    private Path stickyDir(String name) throws Exception {
        Path d = Files.createTempDirectory(tmp, name);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        Cmd.run(10, "chmod", "+t", d.toString()).ok();
        return d;
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT", "HUP"})
    void everyStopSignalCleansUpAndExitsZero(String sig) throws Exception {
        Path d = stickyDir("sig-");
        Path sock = d.resolve("s.sock");
        Path pid = d.resolve("sluice.pid");
        SluiceProcess s = SluiceProcess.start(topo.h, "-s", sock.toString(), "-P", pid.toString());
        try {
            assertTrue(Files.exists(sock) && Files.exists(pid), s.log());
            assertEquals(String.valueOf(s.process().pid()), Files.readString(pid).trim());
            Cmd.run(10, "kill", "-s", sig, String.valueOf(s.process().pid())).ok();
            assertTrue(s.process().waitFor(20, TimeUnit.SECONDS), "stopped on SIG" + sig);
            assertEquals(0, s.process().exitValue(), s.log());
            assertFalse(Files.exists(sock), "socket removed: " + s.log());
            assertFalse(Files.exists(pid), "pid file removed: " + s.log());
            assertFalse(s.log().contains("Exception"), s.log());
        } finally {
            s.close();
        }
    }

    @Test
    void staleSocketIsReplacedLiveOneRefusedRegularFileKept() throws Exception {
        Path d = stickyDir("sock-");
        Path sock = d.resolve("s.sock");
        // A socket file nobody listens on any more: what a killed Sluice leaves.
        ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        stale.bind(UnixDomainSocketAddress.of(sock));
        stale.close();
        assertTrue(Files.exists(sock));
        try (SluiceProcess s = SluiceProcess.start(topo.h, "-s", sock.toString())) {
            Cmd.Result second = Cmd.inNs(topo.h, 60, bin(), "-s", sock.toString());
            assertOneLine(1, "is in use by another process", second);
            assertTrue(s.process().isAlive(), "the live one keeps running");
        }
        Path file = d.resolve("notes.txt");
        Files.writeString(file, "the operator's notes\n");
        assertOneLine(2, "exists and is not a socket", Cmd.inNs(topo.h, 60, bin(), "-s", file.toString()));
        assertEquals("the operator's notes\n", Files.readString(file));
    }

    @Test
    void failuresAtRunTimeAreOneLine() throws Exception {
        bg.start(topo.h, "socat TCP4-LISTEN:81,reuseaddr,fork EXEC:/bin/true");
        assertTrue(Guest.await(topo.h, 10, "ss -Htln | grep -q ':81 '"));
        Path d = stickyDir("fail-");
        String sock = d.resolve("s.sock").toString();
        List<String[]> exit1 = List.of(
                new String[] {"is in use by another process", "-s", sock},
                new String[] {"no interface named no-such-if0", "-i", "no-such-if0"},
                new String[] {"/nonexistent-ns-xyz", "--netns", "/nonexistent-ns-xyz"});
        List<String[]> exit2 = List.of(
                new String[] {"--outbound-if4", "--outbound-if4", "no-such-if0"},
                new String[] {"option '--tcp-ports': cannot forward TCP port 81", "-t", "81"});
        try (SluiceProcess live = SluiceProcess.start(topo.h, "-s", sock)) {
            for (String[] row : exit1) {
                assertOneLine(1, row[0], Cmd.inNs(topo.h, 60, argv(row)));
            }
            for (String[] row : exit2) {
                assertOneLine(2, row[0], Cmd.inNs(topo.h, 60, argv(row)));
            }
            // -d asks for the stack trace as well
            Cmd.Result debug = Cmd.inNs(topo.h, 60, bin(), "-d", "-i", "no-such-if0");
            assertEquals(1, debug.exit(), debug.out());
            assertTrue(debug.out().contains("sluice: no interface named no-such-if0")
                    && debug.out().contains("\tat dev.sluice."), debug.out());
        }
    }

    @Test
    void tcpAllSkipsAHeldPortWithOneWarningAndForwardsTheRest() throws Exception {
        bg.start(topo.h, "socat TCP4-LISTEN:82,reuseaddr,fork EXEC:/bin/true");
        assertTrue(Guest.await(topo.h, 10, "ss -Htln | grep -q ':82 '"));
        Path www = Files.createDirectories(tmp.resolve("www"));
        Files.writeString(www.resolve("hello"), "hello from the guest\n");
        bg.start(topo.g, "busybox httpd -f -p 80 -h " + www);
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "-t", "all")) {
            List<String> warnings = new ArrayList<>();
            for (String l : s.log().split("\n")) {
                if (l.contains("port bindings skipped")) {
                    warnings.add(l);
                }
            }
            assertEquals(1, warnings.size(), s.log());
            assertTrue(warnings.get(0).contains("82 0.0.0.0 (Address already in use)"), warnings.get(0));
            Cmd.Result get = Cmd.shIn(topo.h, 60, "curl -sS --fail --max-time 30 http://127.0.0.1:80/hello");
            assertEquals("hello from the guest", get.ok().out().trim());
            assertTrue(s.process().isAlive());
        }
    }

    private static String bin() {
        return SluiceProcess.home().resolve("bin/sluice").toString();
    }

    private static String[] argv(String[] row) {
        String[] a = new String[row.length];
        a[0] = bin();
        System.arraycopy(row, 1, a, 1, row.length - 1);
        return a;
    }

    private static void assertOneLine(int exit, String text, Cmd.Result r) {
        String out = r.out().trim();
        assertEquals(exit, r.exit(), String.join(" ", r.argv()) + ": " + out);
        assertEquals(1, out.lines().count(), "one line: " + out);
        assertTrue(out.contains(text), "names " + text + ": " + out);
        assertFalse(out.contains("Exception") || out.contains("at dev.") || out.contains("at io.netty"), out);
    }
}
