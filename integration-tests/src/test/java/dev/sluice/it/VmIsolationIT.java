package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The vm-isolation plugin between two real instances in h: g1 (the
 * topology's guest, with address 10.77.0.51 so that the host's 10.77.0.1 is
 * not local to it) and g2 (10.77.0.52, a namespace of this test), whose instance forwards
 * host port 8022 to a server on port 22 in g2. Without the plugin g1 reaches
 * g2 through the host's address and through the gateway (loopback) mapping;
 * with it both are refused at once and audited, while g2 still reaches its
 * own forward and g1 still reaches host ports no instance forwards. Clean
 * exits leave the registry empty.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmIsolationIT {
    private Topology topo;
    private String g2;
    private final Background bg = new Background();
    private Path registry;
    private Path pluginDir;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        g2 = "svm2-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 32, 1L << 36), 36);
        Cmd.run(10, "ip", "netns", "add", g2).ok();
        Cmd.inNs(g2, 10, "ip", "link", "set", "lo", "up").ok();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "vmiso-");
        // The instances run as nobody once set up: a registry they may all write to, like /tmp.
        registry = Files.createDirectories(Files.createTempDirectory("sl-vmiso-").resolve("registry"));
        Cmd.run(10, "chmod", "755", registry.getParent().toString()).ok();
        Cmd.run(10, "chmod", "1777", registry.toString()).ok();
        pluginDir = Files.createDirectories(tmp.resolve("plugins"));
        Files.copy(pluginJar(), pluginDir.resolve("vm-isolation.jar"), StandardCopyOption.REPLACE_EXISTING);
        bg.start(g2, "socat TCP4-LISTEN:22,fork,reuseaddr SYSTEM:'echo g2'");
        bg.start(topo.h, "socat TCP4-LISTEN:9999,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo host'");
    }

    /** The jar built by plugins/vm-isolation in this reactor (the distribution does not bundle it yet). */
    private static Path pluginJar() throws Exception {
        Path target = SluiceProcess.home().toAbsolutePath().normalize().getParent().getParent().getParent()
                .resolve("plugins/vm-isolation/target");
        try (Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("sluice-plugin-vm-isolation-.*\\.jar"))
                    .findFirst().orElseThrow(() -> new AssertionError("no plugin jar in " + target));
        }
    }

    @AfterAll
    void stop() {
        try {
            bg.close();
        } finally {
            if (g2 != null) {
                Cmd.run(10, "sh", "-c", "ip netns pids " + g2 + " 2>/dev/null | xargs -r kill -9");
                Cmd.run(10, "ip", "netns", "del", g2);
            }
            if (topo != null) {
                topo.close();
            }
            if (registry != null) {
                Cmd.run(30, "rm", "-rf", "--", registry.getParent().toString());
            }
        }
    }

    private String[] plugin() {
        return new String[] {"--plugin-dir", "none", "--plugin-dir", pluginDir.toString(), "--plugin", "vm-isolation:registry=" + registry};
    }

    private SluiceProcess startG2() throws Exception {
        // Not the host's address either: a forwarded connection from 10.77.0.1 (g1's, through the host's
        // address) would reach g2 from g2's own address, which its kernel drops as a martian.
        return SluiceProcess.start(topo.h, concat(new String[] {"--netns", g2, "-I", "tap0", "--config-net",
                "-a", "10.77.0.52", "-n", "24", "-t", "8022:22"}, plugin()));
    }

    private SluiceProcess startG1(boolean withPlugin) throws Exception {
        String[] base = {"--netns", topo.g, "-I", "tap0", "--config-net", "-a", "10.77.0.51", "-n", "24"};
        return SluiceProcess.start(topo.h, withPlugin ? concat(base, plugin()) : base);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** One TCP exchange from {@code ns}: the server's line, or socat's error. */
    private static Cmd.Result connect(String ns, String target) {
        // -t: after its stdin's EOF, socat still waits this long for the server's line.
        return Cmd.shIn(ns, 20, "socat -T 5 -t 5 - TCP4:" + target + ",connect-timeout=5 </dev/null 2>&1");
    }

    private List<String> registryFiles() throws Exception {
        try (Stream<Path> s = Files.list(registry)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void guestsCannotReachEachOthersForwardsButTheirOwn() throws Exception {
        try (SluiceProcess s2 = startG2()) {
            assertEquals(1, registryFiles().size(), registryFiles().toString());
            // g1 without the plugin: g2's forward is reachable through the host address and the gateway.
            try (SluiceProcess s1 = startG1(false)) {
                assertTrue(Guest.await(topo.g, 15, "socat -T 3 -t 3 - TCP4:10.77.0.1:8022,connect-timeout=3 </dev/null | grep -qx g2"),
                        connect(topo.g, "10.77.0.1:8022").out() + "\n" + s1.log());
                assertEquals("g2", connect(topo.g, "10.77.0.254:8022").out().trim());
            }
            try (SluiceProcess s1 = startG1(true)) {
                assertEquals(2, registryFiles().size(), registryFiles().toString());
                // The path itself works: a host port no instance forwards is reachable.
                assertTrue(Guest.await(topo.g, 15, "socat -T 3 -t 3 - TCP4:10.77.0.254:9999,connect-timeout=3 </dev/null | grep -qx host"),
                        connect(topo.g, "10.77.0.254:9999").out() + "\n" + s1.log());
                for (String target : new String[] {"10.77.0.1:8022", "10.77.0.254:8022"}) {
                    Cmd.Result r = connect(topo.g, target);
                    assertTrue(r.exit() != 0 && r.out().contains("Connection refused"), target + ": " + r.out());
                }
                assertTrue(s1.awaitLog("REJECT proto=tcp src=10.77.0.51:", 5), s1.log());
                String log = s1.log();
                assertTrue(log.contains("dst=10.77.0.1:8022 mapped=10.77.0.1:8022 plugin=vm-isolation "
                        + "reason=\"tcp port 8022 is forwarded into another guest (instance sluice-"), log);
                assertTrue(log.contains("dst=10.77.0.254:8022 mapped=127.0.0.1:8022 plugin=vm-isolation"), log);
                // g2 reaches its own forward (hairpin through the gateway mapping).
                Cmd.Result hairpin = connect(g2, "10.77.0.254:8022");
                assertEquals("g2", hairpin.out().trim(), hairpin.out() + "\n" + s2.log());
                assertFalse(s2.log().contains("REJECT"), s2.log());
            }
            assertEquals(1, registryFiles().size(), registryFiles().toString());
        }
        assertEquals(List.of(), registryFiles());
    }
}
