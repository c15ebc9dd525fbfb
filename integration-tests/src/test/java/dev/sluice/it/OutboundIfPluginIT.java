package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The {@code outbound-if} plugin end to end: h has two uplinks whose far ends
 * both hold 10.99.0.1/fd99::1 with different web content, so the reply proves
 * which interface a rule sent the flow through. Then the chosen uplink is
 * deleted while Sluice runs: the next flow must be refused at once and
 * audited, not quietly routed out of the other uplink.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboundIfPluginIT {
    private static final String JAR_PREFIX = "sluice-plugin-outbound-if";
    private Topology topo;
    private final Background bg = new Background();
    private List<String> pluginDirArgs;

    @BeforeAll
    void start() throws Exception {
        pluginDirArgs = pluginDirArgs();
        topo = Topology.create();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "outif-plugin-");
        Path www = Files.createDirectories(tmp.resolve("www"));
        Path www2 = Files.createDirectories(tmp.resolve("www2"));
        Files.writeString(www.resolve("whoami"), "lan\n");
        Files.writeString(www2.resolve("whoami"), "lan2\n");
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        bg.start(topo.lan2, "busybox httpd -f -p 80 -h " + www2);
        // A destination no rule covers, behind eth0 (10.77.0.254 is the guest's gateway: Sluice maps it to h's loopback).
        topo.sh(topo.lan, "ip addr add 10.77.0.253/24 dev up0");
    }

    @AfterAll
    void stop() {
        bg.close();
        if (topo != null) {
            topo.close();
        }
    }

    /**
     * The distribution's plugins/ once the plugin is bundled there (searched
     * by default), else this build's jar; never both, as two plugins of one
     * name stop Sluice.
     */
    private static List<String> pluginDirArgs() throws IOException {
        Path home = SluiceProcess.home();
        if (hasJar(home.resolve("plugins"))) {
            return List.of();
        }
        Path built = home.resolve("../../../plugins/outbound-if/target").normalize();
        assertTrue(hasJar(built), "no " + JAR_PREFIX + " jar in " + home.resolve("plugins") + " nor " + built);
        return List.of("--plugin-dir", "none", "--plugin-dir", built.toString());
    }

    private static boolean hasJar(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(JAR_PREFIX) && p.toString().endsWith(".jar"));
        }
    }

    private String[] sluiceArgs(String... more) {
        List<String> args = new ArrayList<>(List.of("--netns", topo.g, "-I", "tap0", "--config-net"));
        args.addAll(pluginDirArgs);
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private Cmd.Result curl(String url) {
        return Cmd.shIn(topo.g, 30, "curl -g -sS --fail --connect-timeout 20 --max-time 20 " + url);
    }

    @Test
    void aMissingInterfaceStopsSluiceAtStartup() {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", topo.h,
                SluiceProcess.home().resolve("bin/sluice").toString()));
        argv.addAll(List.of(sluiceArgs("--plugin", "outbound-if:10.99.0.0/24=nosuch0,default6=eth0")));
        Cmd.Result r = Cmd.run(60, argv);
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("plugin outbound-if: interface nosuch0 does not exist"
                + " (rule 10.99.0.0/24=nosuch0, option \"10.99.0.0/24\")"), r.out());
    }

    @Test
    void aRulePicksTheUplinkAndItsLossRefusesFlows() throws Exception {
        try (SluiceProcess s = SluiceProcess.start(topo.h, sluiceArgs(
                "--plugin", "outbound-if:10.99.0.0/24=dum0@10.66.0.1,fd99::/64=dum0"))) {
            Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::1/64' && ! ip -6 addr show dev tap0 | grep -q tentative");
            assertTrue(s.log().contains("2 rules: 10.99.0.0/24=dum0@10.66.0.1, fd99::/64=dum0; gone interface or source: reject"),
                    s.log());
            assertEquals("lan2", curl("http://10.99.0.1/whoami").ok().out().trim());
            assertEquals("lan2", curl("http://[fd99::1]/whoami").ok().out().trim());
            assertEquals("lan", curl("http://10.77.0.253/whoami").ok().out().trim(), "no rule: the normal route");

            Cmd.run(10, "ip", "-n", topo.h, "link", "del", "dum0").ok();

            // curl exit 7: refused (Sluice's RST); a flow sent out of eth0 instead would answer "lan".
            Cmd.Result r4 = curl("http://10.99.0.1/whoami");
            assertEquals(7, r4.exit(), r4.out() + "\n" + s.log());
            Cmd.Result r6 = curl("http://[fd99::1]/whoami");
            assertEquals(7, r6.exit(), r6.out() + "\n" + s.log());
            assertEquals("lan", curl("http://10.77.0.253/whoami").ok().out().trim(), "flows of no rule still pass");

            assertTrue(s.awaitLog("plugin=outbound-if reason=\"interface dum0 of rule 10.99.0.0/24=dum0@10.66.0.1"
                    + " no longer exists\"", 10), s.log());
            assertTrue(s.awaitLog("plugin=outbound-if reason=\"interface dum0 of rule fd99::/64=dum0 no longer exists\"", 10),
                    s.log());
            assertTrue(s.log().contains("interface dum0 is gone: flows of its rules are rejected until it is back"), s.log());
            String audit = s.log().lines().filter(l -> l.contains("REJECT proto=tcp") && l.contains("plugin=outbound-if"))
                    .findFirst().orElse("");
            assertTrue(audit.contains("mapped=10.99.0.1:80"), audit);
        }
    }
}
