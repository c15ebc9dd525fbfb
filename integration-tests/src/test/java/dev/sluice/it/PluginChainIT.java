package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin chain end to end (issue 4): Sluice in tap mode with filters from
 * the distribution ({@code deny-port}) and from plugin jars built by the test
 * ({@link TestPlugins}: never on any class path but their own), seen from the
 * guest's real TCP/UDP stack. Every port the guest tries has a server in the
 * lan namespace, so a refusal can only come from the chain; the audit lines
 * in Sluice's log say which filter it was.
 *
 * <p>One Sluice runs the chain below for the first tests; the last test
 * restarts it with the first two filters' order swapped.
 * <pre>
 * it-accept:ports=7001                 accept (an external plugin)
 * deny-port:ports=7001,7002,7005       reject
 * deny-port:ports=7006,mode=drop       drop   (deny-port#2)
 * it-throw:ports=7003                  throws (fail-closed: reject)
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginChainIT {
    private Topology topo;
    private final Background bg = new Background();
    private Path pluginDir;
    private SluiceProcess sluice;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "chain-");
        Path www = Files.createDirectories(tmp.resolve("www"));
        Files.writeString(www.resolve("ok"), "ok\n");
        for (int port : new int[] {7001, 7002, 7003, 7006}) {
            bg.start(topo.lan, "busybox httpd -f -p " + port + " -h " + www); // v4 and v6
        }
        for (int port : new int[] {7004, 7005, 7006}) {
            // bind=: unbound, socat answers from the router's up0 address, which Sluice's connected host socket ignores.
            bg.start(topo.lan, "socat UDP4-LISTEN:" + port + ",bind=10.99.0.1,fork,reuseaddr EXEC:cat");
            bg.start(topo.lan, "socat UDP6-LISTEN:" + port + ",bind=[fd99::1],fork,reuseaddr EXEC:cat");
        }
        pluginDir = Files.createDirectories(tmp.resolve("plugins"));
        TestPlugins.filterPlugin(pluginDir.resolve("it-accept.jar"), "it-accept", TestPlugins.Kind.ACCEPT);
        TestPlugins.filterPlugin(pluginDir.resolve("it-throw.jar"), "it-throw", TestPlugins.Kind.THROW);

        sluice = startWithChain("--plugin", "it-accept:ports=7001", "--plugin", "deny-port:ports=7001,7002,7005",
                "--plugin", "deny-port:ports=7006,mode=drop", "--plugin", "it-throw:ports=7003");
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

    /** Tap mode in g, plugins from the test's directory and the distribution's plugins/. */
    private SluiceProcess startWithChain(String... chain) throws Exception {
        List<String> args = new ArrayList<>(List.of("--netns", topo.g, "-I", "tap0", "--config-net",
                "--plugin-dir", pluginDir.toString(), "--plugin-dir", SluiceProcess.home().resolve("plugins").toString()));
        args.addAll(List.of(chain));
        SluiceProcess s = SluiceProcess.start(topo.h, args.toArray(String[]::new));
        assertTrue(Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::1/64' && ! ip -6 addr show dev tap0 | grep -q tentative"),
                Cmd.shIn(topo.g, 10, "ip addr").out() + s.log());
        return s;
    }

    /** curl's exit status fetching {@code /ok}: 0 fetched, 7 connection refused, 28 timed out. */
    private int curl(String hostPort, int connectTimeout) {
        Cmd.Result r = Cmd.shIn(topo.g, connectTimeout + 30,
                "curl -g -sS -o /dev/null --connect-timeout " + connectTimeout + " --max-time " + (connectTimeout + 10)
                        + " http://" + hostPort + "/ok");
        return r.exit();
    }

    private void assertLog(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        for (int i = 0; i < 50 && !p.matcher(sluice.log()).find(); i++) {
            Thread.sleep(100);
        }
        assertTrue(p.matcher(sluice.log()).find(), "no match for /" + regex + "/ in:\n" + sluice.log());
    }

    /** A UDP exchange from the guest through socat: a connected socket, so an ICMP error is ECONNREFUSED. */
    private Cmd.Result udp(String target) {
        return Cmd.shIn(topo.g, 30, "echo ping | socat -t 3 - " + target + " 2>&1");
    }

    @Test
    @Order(1)
    void externalPluginsAreListedWithTheirJars() {
        Cmd.Result r = Cmd.run(30, SluiceProcess.home().resolve("bin/sluice").toString(),
                "--plugin-dir", pluginDir.toString(), "--list-plugins").ok();
        for (String name : new String[] {"it-accept", "it-throw"}) {
            assertTrue(r.out().contains(name + " " + TestPlugins.VERSION + "  (" + pluginDir.resolve(name + ".jar") + ")"), r.out());
        }
        assertTrue(r.out().contains("ports=PORT[,PORT...]"), r.out());
    }

    @Test
    @Order(2)
    void anExternalPluginTakesEffectAndSeesNoneOfTheCore() throws Exception {
        // deny-port also names 7001, but it-accept comes first and accepts.
        assertEquals(0, curl("10.99.0.1:7001", 20), sluice.log());
        assertEquals(0, curl("[fd99::1]:7001", 20), sluice.log());
        assertLog("it-accept sees these classes of Sluice's own: none");
        assertFalse(sluice.log().contains("dst=10.99.0.1:7001"), "no audit line for an accepted flow:\n" + sluice.log());
    }

    @Test
    @Order(3)
    void rejectedTcpIsRefusedAtOnce() throws Exception {
        assertEquals(7, curl("10.99.0.1:7002", 20), "connection refused, not a timeout\n" + sluice.log());
        assertEquals(7, curl("[fd99::1]:7002", 20), "connection refused, not a timeout\n" + sluice.log());
        assertLog("REJECT proto=tcp src=\\S+ dst=10\\.99\\.0\\.1:7002 mapped=\\S+ plugin=deny-port reason=\"destination port 7002 is denied\"");
    }

    @Test
    @Order(4)
    void rejectedUdpGetsPortUnreachable() throws Exception {
        // The control: the same server answers on a port no filter names.
        assertEquals("ping", udp("UDP4:10.99.0.1:7004").out().trim());
        assertEquals("ping", udp("UDP6:[fd99::1]:7004").out().trim());
        Cmd.Result v4 = udp("UDP4:10.99.0.1:7005");
        assertTrue(v4.exit() != 0 && v4.out().contains("Connection refused"), v4.out() + "\n" + sluice.log());
        Cmd.Result v6 = udp("UDP6:[fd99::1]:7005");
        assertTrue(v6.exit() != 0 && v6.out().contains("Connection refused"), v6.out() + "\n" + sluice.log());
        assertLog("REJECT proto=udp src=\\S+ dst=10\\.99\\.0\\.1:7005 .*plugin=deny-port ");
    }

    @Test
    @Order(5)
    void droppedFlowsTimeOut() throws Exception {
        assertEquals(28, curl("10.99.0.1:7006", 3), "a timeout, not a refusal\n" + sluice.log());
        Cmd.Result u = udp("UDP4:10.99.0.1:7006");
        assertEquals(0, u.exit(), u.out());
        assertEquals("", u.out().trim(), "no answer and no error");
        assertLog("DROP proto=tcp src=\\S+ dst=10\\.99\\.0\\.1:7006 .*plugin=deny-port#2 reason=\"destination port 7006 is denied\"");
        assertLog("DROP proto=udp src=\\S+ dst=10\\.99\\.0\\.1:7006 .*plugin=deny-port#2 ");
    }

    @Test
    @Order(6)
    void aThrowingFilterRejectsAndIsNamed() throws Exception {
        assertEquals(7, curl("10.99.0.1:7003", 20), sluice.log());
        assertLog("plugin it-throw failed deciding a new flow, which is rejected \\(fail-closed\\)");
        assertLog("IllegalStateException: the test filter always throws");
        assertLog("REJECT proto=tcp src=\\S+ dst=10\\.99\\.0\\.1:7003 .*plugin=it-throw reason=\"plugin failed: IllegalStateException\"");
    }

    @Test
    @Order(7)
    void chainOrderDecides() throws Exception {
        // it-accept before deny-port (the running chain): the guest connects ...
        assertEquals(0, curl("10.99.0.1:7001", 20), sluice.log());
        assertEquals(0, sluice.stop(), sluice.log());
        assertLog("plugins: it-accept accepted=[1-9]");
        sluice.close();

        // ... deny-port before it-accept: the same flow is refused at once.
        sluice = startWithChain("--plugin", "deny-port:ports=7001", "--plugin", "it-accept:ports=7001");
        assertEquals(7, curl("10.99.0.1:7001", 20), "connection refused\n" + sluice.log());
        assertLog("REJECT proto=tcp src=\\S+ dst=10\\.99\\.0\\.1:7001 .*plugin=deny-port ");
    }
}
