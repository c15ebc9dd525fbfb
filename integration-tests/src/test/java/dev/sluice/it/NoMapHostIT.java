package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code no-map-host} plugin end to end. h runs a server on port 2222 of
 * every address ([::], dual-stack) and a UDP echo on 10.66.0.1; the guest,
 * given 10.77.0.50 and fd77::50 (not h's own address), reaches the server
 * through h's addresses and the gateway mapping without the plugin, and is
 * refused at once with it, while "the internet" (10.99.0.1 in lan) stays
 * reachable. Then the live case: an address added to h is refused on the
 * very next connection, and after its removal the next connection goes where
 * h's routes send it (lan, which holds 10.55.0.1 too).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoMapHostIT {
    /** curl's exit status for "connection refused"; a timeout would be 28. */
    private static final int REFUSED = 7;

    private Topology topo;
    private final Background bg = new Background();
    private String pluginDir;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        pluginDir = Path.of(System.getProperty("sluice.plugins.src", "../plugins"), "no-map-host", "target").toString();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "nomaphost-");
        Path hostWww = Files.createDirectories(tmp.resolve("host"));
        Path lanWww = Files.createDirectories(tmp.resolve("lan"));
        Files.writeString(hostWww.resolve("whoami"), "host\n");
        Files.writeString(lanWww.resolve("whoami"), "lan\n");
        // 10.55.0.1 exists only inside the test's namespaces: on lan's lo, routed there by h,
        // and for a while on h's dum0.
        topo.sh(topo.lan, "ip addr add 10.55.0.1/32 dev lo");
        topo.sh(topo.h, "ip route add 10.55.0.1/32 via 10.77.0.254");
        bg.start(topo.h, "busybox httpd -f -p 2222 -h " + hostWww); // [::]:2222, takes IPv4 too
        bg.start(topo.lan, "busybox httpd -f -p 2222 -h " + lanWww);
        bg.start(topo.h, "socat UDP4-LISTEN:7000,bind=10.66.0.1,fork,reuseaddr EXEC:cat");
        assertTrue(Guest.await(topo.h, 10, "ss -Htln | grep -q ':2222 ' && ss -Huln | grep -q '10.66.0.1:7000'"),
                Cmd.shIn(topo.h, 10, "ss -tuln").out());
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':2222 '"));
    }

    @AfterAll
    void stop() {
        bg.close();
        if (topo != null) {
            topo.close();
        }
    }

    private SluiceProcess sluice(String... plugin) throws Exception {
        String[] base = {"--netns", topo.g, "-I", "tap0", "--config-net",
                "-a", "10.77.0.50", "-n", "24", "-a", "fd77::50", "--plugin-dir", "none", "--plugin-dir", pluginDir};
        String[] args = new String[base.length + plugin.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(plugin, 0, args, base.length, plugin.length);
        SluiceProcess s = SluiceProcess.start(topo.h, args);
        assertTrue(Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::50/' && ip -4 addr show dev tap0 | grep -q 10.77.0.50"),
                Cmd.shIn(topo.g, 10, "ip addr").out());
        return s;
    }

    /** curl from the guest: the body on success, else "exit N". */
    private String get(String hostPort) {
        Cmd.Result r = Cmd.shIn(topo.g, 40, "curl -g -sS --connect-timeout 20 --max-time 30 http://" + hostPort + "/whoami");
        return r.exit() == 0 ? r.out().trim() : "exit " + r.exit();
    }

    private static final String[] HOST_VIA_ADDRESSES = {"10.77.0.1:2222", "10.66.0.1:2222", "[fd66::1]:2222", "[fd77::1]:2222"};
    private static final String[] HOST_VIA_GATEWAY = {"10.77.0.254:2222", "[fd77::fe]:2222"};

    @Test
    void withoutThePluginTheGuestReachesTheHostThroughItsAddresses() throws Exception {
        try (SluiceProcess s = sluice()) {
            for (String target : HOST_VIA_ADDRESSES) {
                assertEquals("host", get(target), target + "\n" + s.log());
            }
            for (String target : HOST_VIA_GATEWAY) {
                assertEquals("host", get(target), target);
            }
            assertEquals("lan", get("10.99.0.1:2222"));
            Cmd.Result udp = Cmd.shIn(topo.g, 20, "echo hello | socat -t 3 - UDP4:10.66.0.1:7000");
            assertEquals("hello", udp.out().trim(), udp.out());
            Cmd.Result ping = Cmd.shIn(topo.g, 20, "ping -c 1 -W 5 10.66.0.1");
            assertEquals(0, ping.exit(), ping.out());
        }
    }

    @Test
    void withThePluginEveryHostAddressAndTheGatewayAreRefusedAtOnce() throws Exception {
        try (SluiceProcess s = sluice("--plugin", "no-map-host")) {
            for (String target : HOST_VIA_ADDRESSES) {
                assertEquals("exit " + REFUSED, get(target), target + "\n" + s.log());
            }
            for (String target : HOST_VIA_GATEWAY) {
                assertEquals("exit " + REFUSED, get(target), target);
            }
            assertEquals("lan", get("10.99.0.1:2222"), "the internet stays reachable");

            // UDP: an ICMP port unreachable, which the guest's socket reports as a refusal; no echo.
            Cmd.Result udp = Cmd.shIn(topo.g, 20, "echo hello | socat -t 3 - UDP4:10.66.0.1:7000");
            assertFalse(udp.out().contains("hello"), udp.out());
            assertTrue(udp.out().contains("Connection refused"), udp.out());
            // Echo: an ICMP unreachable instead of a reply.
            Cmd.Result ping = Cmd.shIn(topo.g, 20, "ping -c 1 -W 5 10.66.0.1");
            assertNotEquals(0, ping.exit(), ping.out());
            assertFalse(ping.out().contains("bytes from"), ping.out());

            String log = s.log();
            assertAudit(log, "proto=tcp", "dst=10.66.0.1:2222 mapped=10.66.0.1:2222", "destination 10.66.0.1 is local to the host (dum0)");
            assertAudit(log, "proto=tcp", "dst=10.77.0.1:2222 mapped=10.77.0.1:2222", "destination 10.77.0.1 is local to the host (eth0)");
            assertAudit(log, "proto=tcp", "dst=[fd66::1]:2222 mapped=[fd66::1]:2222", "destination fd66::1 is local to the host (dum0)");
            assertAudit(log, "proto=tcp", "dst=10.77.0.254:2222 mapped=127.0.0.1:2222", "destination 127.0.0.1 is local to the host (lo)");
            assertAudit(log, "proto=tcp", "dst=[fd77::fe]:2222 mapped=[::1]:2222", "destination ::1 is local to the host (lo)");
            assertAudit(log, "proto=udp", "mapped=10.66.0.1:7000", "destination 10.66.0.1 is local to the host (dum0)");
            assertAudit(log, "proto=icmp", "mapped=10.66.0.1:0", "destination 10.66.0.1 is local to the host (dum0)");
            assertFalse(log.contains("dst=10.99.0.1"), log);
        }
    }

    @Test
    void allowLoopbackOpensTheGatewayPathOnly() throws Exception {
        try (SluiceProcess s = sluice("--plugin", "no-map-host:allow=loopback")) {
            for (String target : HOST_VIA_GATEWAY) {
                assertEquals("host", get(target), target + "\n" + s.log());
            }
            for (String target : HOST_VIA_ADDRESSES) {
                assertEquals("exit " + REFUSED, get(target), target);
            }
            assertEquals("lan", get("10.99.0.1:2222"));
        }
    }

    @Test
    void anAddressAddedOrRemovedCountsFromTheVeryNextConnection() throws Exception {
        try (SluiceProcess s = sluice("--plugin", "no-map-host")) {
            assertEquals("lan", get("10.55.0.1:2222"), "10.55.0.1 is lan's while h does not hold it\n" + s.log());
            for (int round = 0; round < 2; round++) {
                // Added, then the guest's very next connection, with nothing in between.
                Cmd.Result added = Cmd.run(40, "sh", "-c", "ip netns exec " + topo.h + " ip addr add 10.55.0.1/32 dev dum0"
                        + " && ip netns exec " + topo.g + " curl -sS --connect-timeout 20 --max-time 30 http://10.55.0.1:2222/whoami");
                assertEquals(REFUSED, added.exit(), "round " + round + ": " + added.out() + "\n" + s.log());
                assertTrue(s.awaitLog("dst=10.55.0.1:2222", 5), s.log());
                long lines = count(s.log(), "dst=10.55.0.1:2222");
                assertEquals(round + 1, lines, s.log());
                assertTrue(s.log().contains("reason=\"destination 10.55.0.1 is local to the host (dum0)\""), s.log());

                // Removed, then the very next connection: not refused, answered by lan, nothing audited.
                Cmd.Result removed = Cmd.run(40, "sh", "-c", "ip netns exec " + topo.h + " ip addr del 10.55.0.1/32 dev dum0"
                        + " && ip netns exec " + topo.g + " curl -sS --connect-timeout 20 --max-time 30 http://10.55.0.1:2222/whoami");
                assertEquals(0, removed.exit(), "round " + round + ": " + removed.out() + "\n" + s.log());
                assertEquals("lan", removed.out().trim());
                assertEquals(lines, count(s.log(), "dst=10.55.0.1:2222"), s.log());
            }
        }
    }

    private static long count(String log, String needle) {
        return log.lines().filter(l -> l.contains("REJECT ") && l.contains(needle)).count();
    }

    /** One REJECT line of plugin no-map-host with all the given parts. */
    private static void assertAudit(String log, String proto, String addresses, String reason) {
        boolean found = log.lines().anyMatch(l -> l.contains("REJECT " + proto + " ") && l.contains(addresses)
                && l.contains("plugin=no-map-host reason=\"" + reason + "\""));
        assertTrue(found, "no audit line for " + proto + " " + addresses + " \"" + reason + "\":\n" + log);
    }
}
