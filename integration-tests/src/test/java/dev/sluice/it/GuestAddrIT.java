package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guest-addr plugin end to end: Sluice in tap mode with
 * {@code --plugin guest-addr:mac=enforce}. The guest (the kernel in g) adds
 * addresses it was not given and binds curl to them: those flows are dropped
 * (curl times out) and audited with the plugin's name, while the assigned
 * addresses, and a SLAAC-style address in the advertised prefix, work. Then
 * the tap's MAC changes: frames from the new MAC are dropped and counted,
 * and the first MAC still works once it is back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestAddrIT {
    /** Short: a dropped flow never answers, so every refused curl waits this long. */
    private static final int DROPPED_WAIT = 3;
    private static final String OTHER_MAC = "02:00:00:00:00:60";
    private Topology topo;
    private SluiceProcess sluice;
    private final Background bg = new Background();

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        Path www = Files.createDirectories(Files.createTempDirectory(SluiceProcess.workDir(), "guestaddr-").resolve("www"));
        Files.writeString(www.resolve("whoami"), "lan\n");
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "--plugin-dir", "none", "--plugin-dir", pluginDir().toString(), "--plugin", "guest-addr:mac=enforce", "--stats-interval", "1");
        assertTrue(Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::1/64'"
                        + " && ! ip -6 addr show dev tap0 | grep -q tentative"),
                Cmd.shIn(topo.g, 10, "ip addr; ip -6 route").out());
        // Addresses the guest gives itself: one inside the IPv4 subnet (still not given), one
        // outside the advertised IPv6 prefix, and one inside it (what SLAAC could form).
        topo.sh(topo.g, "ip addr add 10.77.0.60/24 dev tap0 && ip -6 addr add fd66::60/128 dev tap0 nodad"
                + " && ip -6 addr add fd77::60/64 dev tap0 nodad");
        assertTrue(sluice.log().contains("guest-addr"), sluice.log());
    }

    /** The plugin jar as built in this worktree (plugins/guest-addr/target, next to distribution/). */
    private static Path pluginDir() {
        Path dir = SluiceProcess.home().resolve("../../../plugins/guest-addr/target").normalize();
        assertTrue(Files.isDirectory(dir), dir + " (run mvn package first)");
        return dir;
    }

    @AfterAll
    void stop() throws Exception {
        try {
            bg.close();
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
        }
    }

    private Cmd.Result curl(String source, String url, int maxTime) {
        return Cmd.shIn(topo.g, maxTime + 10, "curl -g -sS --interface " + source + " --max-time " + maxTime + " " + url);
    }

    private void works(String source, String url) {
        Cmd.Result r = curl(source, url, 20);
        assertEquals(0, r.exit(), source + " -> " + url + ": " + r.out() + "\n" + sluice.log());
        assertEquals("lan", r.out().trim(), r.out());
    }

    private void droppedAndAudited(String source, String url, String auditSrc) throws InterruptedException {
        Cmd.Result r = curl(source, url, DROPPED_WAIT);
        assertEquals(28, r.exit(), "curl timed out (28), nothing answered: " + r.out());
        assertTrue(sluice.awaitLog("DROP proto=tcp src=" + auditSrc + ":", 10), sluice.log());
        String line = sluice.log().lines().filter(l -> l.contains("DROP proto=tcp src=" + auditSrc + ":"))
                .findFirst().orElseThrow();
        assertTrue(line.contains("plugin=guest-addr reason=\"source is not the guest's"), line);
    }

    @Test
    void ipv4OnlyFromTheAssignedAddress() throws Exception {
        works("10.77.0.1", "http://10.99.0.1/whoami");
        droppedAndAudited("10.77.0.60", "http://10.99.0.1/whoami", "10.77.0.60");
    }

    @Test
    void ipv6FromTheAssignedAddressAndThePrefixOnly() throws Exception {
        works("fd77::1", "http://[fd99::1]/whoami");
        works("fd77::60", "http://[fd99::1]/whoami");
        droppedAndAudited("fd66::60", "http://[fd99::1]/whoami", "[fd66::60]");
    }

    @Test
    void framesFromAnotherMacAreDroppedAndCounted() throws Exception {
        String mac = Cmd.shIn(topo.g, 10, "cat /sys/class/net/tap0/address").ok().out().trim();
        works("10.77.0.1", "http://10.99.0.1/whoami");
        try {
            topo.sh(topo.g, "ip link set tap0 address " + OTHER_MAC);
            Cmd.Result r = curl("10.77.0.1", "http://10.99.0.1/whoami", DROPPED_WAIT);
            assertTrue(r.exit() != 0, "no frame from " + OTHER_MAC + " gets through: " + r.out());
            assertTrue(sluice.awaitLog("DROP frame src=" + OTHER_MAC + " plugin=guest-addr reason=\"source MAC "
                    + OTHER_MAC + " is not the guest's (" + mac + ")\"", 10), sluice.log());
            assertTrue(awaitFramesDropped(10) > 0, sluice.log());
            assertTrue(!sluice.log().contains("guest MAC address: " + OTHER_MAC), "the new MAC is never learned");
        } finally {
            topo.sh(topo.g, "ip link set tap0 address " + mac);
        }
        works("10.77.0.1", "http://10.99.0.1/whoami");
    }

    /** The last {@code frames-dropped=N} of the per-second stats line, once it is above 0 (or -1). */
    private long awaitFramesDropped(int seconds) throws InterruptedException {
        Pattern p = Pattern.compile("guest-addr accepted=\\d+ rejected=\\d+ dropped=\\d+ errors=\\d+ frames-dropped=(\\d+)");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(sluice.log());
            while (m.find()) {
                last = Long.parseLong(m.group(1));
            }
            if (last > 0) {
                return last;
            }
            Thread.sleep(200);
        }
        return last;
    }
}
