package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The four bundled plugins chained in one run, from the distribution's
 * plugins/ directory, in the order given on the command line: the first
 * plugin (in that order) that objects to a flow is the one that decides and
 * is audited, and the audit lines come in the order of the decisions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AllPluginsChainIT {
    private Topology topo;
    private final Background bg = new Background();
    private Path registry;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "chain4-");
        registry = Files.createDirectories(tmp.resolve("registry"));
        Path www2 = Files.createDirectories(tmp.resolve("www2"));
        Files.writeString(www2.resolve("whoami"), "lan2\n");
        bg.start(topo.lan2, "busybox httpd -f -p 80 -h " + www2);
        // A host service on every address of h: what no-map-host protects.
        bg.start(topo.h, "socat TCP4-LISTEN:2222,fork,reuseaddr SYSTEM:'echo host-service'");
    }

    @AfterAll
    void stop() {
        bg.close();
        if (topo != null) {
            topo.close();
        }
    }

    private SluiceProcess sluice(List<String> plugins) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--netns", topo.g, "-I", "tap0", "--config-net", "-4"));
        for (String p : plugins) {
            args.add("--plugin");
            args.add(p);
        }
        SluiceProcess s = SluiceProcess.start(topo.h, args.toArray(new String[0]));
        topo.sh(topo.g, "ip addr replace 10.77.0.60/24 dev tap0");
        return s;
    }

    private int curl(String extra, String url) {
        return Cmd.shIn(topo.g, 30, "curl -sS -o /dev/null --max-time 4 " + extra + " " + url).exit();
    }

    private static List<String> auditPlugins(SluiceProcess s) {
        return s.log().lines().filter(l -> l.contains("REJECT ") || l.contains("DROP "))
                .map(l -> l.replaceAll(".* plugin=(\\S+).*", "$1")).toList();
    }

    @Test
    void firstObjectingPluginInCommandLineOrderDecides() throws Exception {
        String guestAddr = "guest-addr";
        String noMapHost = "no-map-host";
        String vmIso = "vm-isolation:registry=" + registry;
        String outIf = "outbound-if:10.99.0.0/24=dum0";

        try (SluiceProcess s = sluice(List.of(guestAddr, noMapHost, vmIso, outIf))) {
            String chainLine = s.log().lines().filter(l -> l.contains("plugin chain:")).findFirst().orElse("");
            int a = chainLine.indexOf("guest-addr");
            int b = chainLine.indexOf("no-map-host");
            int c = chainLine.indexOf("vm-isolation");
            int d = chainLine.indexOf("outbound-if");
            assertTrue(a >= 0 && a < b && b < c && c < d, "chain in command-line order: " + chainLine);
            // A foreign source to a host address: guest-addr comes first and drops it (a timeout).
            assertEquals(28, curl("--interface 10.77.0.60", "http://10.66.0.1:2222/"), s.log());
            // The assigned source to a host address: no-map-host refuses it at once.
            assertEquals(7, curl("", "http://10.66.0.1:2222/"), s.log());
            // Nobody objects to the internet; outbound-if sends it out of the second uplink.
            Cmd.Result r = Cmd.shIn(topo.g, 30, "curl -sS --max-time 10 http://10.99.0.1/whoami");
            assertEquals("lan2", r.out().trim(), s.log());
            assertTrue(s.awaitLog("plugin=no-map-host", 5), s.log());
            assertEquals(List.of("guest-addr", "no-map-host"), auditPlugins(s), s.log());
        }

        try (SluiceProcess s = sluice(List.of(outIf, vmIso, noMapHost, guestAddr))) {
            // Reversed: the same foreign-source flow now meets no-map-host first, which refuses it at once.
            assertEquals(7, curl("--interface 10.77.0.60", "http://10.66.0.1:2222/"), s.log());
            // A foreign source to the internet passes no-map-host and is dropped by guest-addr last in line.
            assertEquals(28, curl("--interface 10.77.0.60", "http://10.99.0.1/whoami"), s.log());
            assertTrue(s.awaitLog("plugin=guest-addr", 5), s.log());
            assertEquals(List.of("no-map-host", "guest-addr"), auditPlugins(s), s.log());
        }
    }
}
