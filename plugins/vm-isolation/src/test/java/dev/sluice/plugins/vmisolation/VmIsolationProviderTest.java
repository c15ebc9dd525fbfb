package dev.sluice.plugins.vmisolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.PluginOptions;
import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin through its provider, as Sluice uses it. Two "instances" are two
 * filters in this JVM with their own ids and files in one registry: both are
 * this live process, which is what liveness asks.
 */
class VmIsolationProviderTest {
    private static final Verdict OTHER_8022 = Verdict.reject("tcp port 8022 is forwarded into another guest (instance g2)");

    @TempDir
    Path registry;
    private final List<FlowFilter> filters = new ArrayList<>();

    @AfterEach
    void closeFilters() {
        filters.forEach(FlowFilter::close);
    }

    private FlowFilter instance(String id, PortForward... forwards) throws Exception {
        return instance(id, Map.of(), forwards);
    }

    private FlowFilter instance(String id, Map<String, String> options, PortForward... forwards) throws Exception {
        TestingFilterContext.Builder b = TestingFilterContext.builder()
                .option("registry", registry.toString())
                .options(options)
                .instanceId(id)
                .hostAddress("eth0", InetAddress.getByName("10.77.0.1"), 24)
                .hostAddress("eth0", InetAddress.getByName("fd77::1"), 64);
        for (PortForward f : forwards) {
            b.forward(f);
        }
        FlowFilter f = new VmIsolationProvider().create(b.build());
        filters.add(f);
        return f;
    }

    private static PortForward tcp(int port) {
        return new PortForward(Protocol.TCP, null, port);
    }

    /** A flow from the guest to {@code dst:port} that the built-in mapping sends to {@code mapped:port}. */
    private static FlowAttempt flow(Protocol p, String dst, String mapped, int port) throws Exception {
        InetSocketAddress d = new InetSocketAddress(InetAddress.getByName(dst), port);
        InetSocketAddress m = new InetSocketAddress(InetAddress.getByName(mapped), port);
        return new FlowAttempt(p, new InetSocketAddress(InetAddress.getByName("10.77.0.51"), 40000), d, m);
    }

    private static FlowAttempt flow(Protocol p, String dst, int port) throws Exception {
        return flow(p, dst, dst, port);
    }

    private List<Path> files() throws Exception {
        try (Stream<Path> s = Files.list(registry)) {
            return s.filter(p -> p.toString().endsWith(".fwd")).toList();
        }
    }

    /** Polls a condition the watcher thread makes true; bounded, no timing assertion. */
    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void anotherInstancesForwardIsRefusedOnHostAddressesAndThroughTheGatewayMapping() throws Exception {
        instance("g2", tcp(8022));
        FlowFilter g1 = instance("g1");
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "127.0.0.1", 8022)));
        // Loopback via the gateway mapping: the guest sends to the gateway, the host socket goes to loopback.
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 8022)));
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "fd77::fe", "::1", 8022)));
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "fd77::1", 8022)));
    }

    @Test
    void theOwnForwardsStayReachable() throws Exception {
        FlowFilter g2 = instance("g2", tcp(8022));
        instance("g1", tcp(2222));
        assertEquals(Verdict.CONTINUE, g2.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 8022)));
        assertEquals(Verdict.CONTINUE, g2.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
        // g1 published after g2 started: g2's watcher sees it a moment later.
        Verdict other = Verdict.reject("tcp port 2222 is forwarded into another guest (instance g1)");
        FlowAttempt toG1 = flow(Protocol.TCP, "10.77.0.1", 2222);
        eventually("g2 sees g1's forward", () -> other.equals(g2.decide(toG1)));
        assertEquals(other, g2.decide(toG1));
    }

    @Test
    void portsNoInstanceForwardsAndOtherHostsAndOtherProtocolsContinue() throws Exception {
        instance("g2", tcp(8022), new PortForward(Protocol.UDP, null, 5000, 5010));
        FlowFilter g1 = instance("g1");
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.77.0.1", 8023)));
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 22)));
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.UDP, "10.77.0.1", 8022)));
        assertEquals(Verdict.reject("udp port 5005 is forwarded into another guest (instance g2)"),
                g1.decide(flow(Protocol.UDP, "127.0.0.1", 5005)));
        // Port 8022 of another machine is not a forward of this host.
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.99.0.1", 8022)));
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.ICMP, "127.0.0.1", 0)));
    }

    @Test
    void aForwardBoundToOneAddressCoversOnlyThatAddress() throws Exception {
        instance("g2", new PortForward(Protocol.TCP, InetAddress.getByName("127.0.0.1"), 8022));
        FlowFilter g1 = instance("g1");
        assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 8022)));
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
    }

    @Test
    void dropMode() throws Exception {
        instance("g2", tcp(8022));
        FlowFilter g1 = instance("g1", Map.of("mode", "drop"));
        assertEquals(Verdict.drop("tcp port 8022 is forwarded into another guest (instance g2)"),
                g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
    }

    @Test
    void entriesOfDeadInstancesAreIgnoredAndRemoved() throws Exception {
        Process p = new ProcessBuilder("true").start();
        long start = p.toHandle().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        Path stale = new Registry(registry).publish("dead.1.fwd",
                new RegistryEntry("dead", p.pid(), start, RegistryEntry.pidNamespace(ProcessHandle.current().pid()),
                        List.of(tcp(9000))));
        FlowFilter g1 = instance("g1");
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.77.0.1", 9000)));
        assertFalse(Files.exists(stale));
    }

    @Test
    void anInstanceStartedLaterIsSeenAndOneThatLeftIsForgotten() throws Exception {
        FlowFilter g1 = instance("g1", Map.of("rescan", "60000")); // so inotify is what tells it
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
        FlowFilter g2 = instance("g2", tcp(8022));
        eventually("g1 sees g2's forward", () -> {
            try {
                return g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)).equals(OTHER_8022);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        g2.close();
        eventually("g1 forgets g2", () -> {
            try {
                return g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)) == Verdict.CONTINUE;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void anInstanceThatDiesWithoutCleaningUpIsForgottenAtTheNextRescan() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            long start = sleeper.toHandle().info().startInstant().orElseThrow().toEpochMilli();
            Path file = new Registry(registry).publish("crashed.1.fwd", new RegistryEntry("g2", sleeper.pid(), start,
                    RegistryEntry.pidNamespace(ProcessHandle.current().pid()), List.of(tcp(8022))));
            FlowFilter g1 = instance("g1", Map.of("rescan", "50"));
            assertEquals(OTHER_8022, g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)));
            sleeper.destroyForcibly();
            assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS));
            eventually("g1 forgets the dead g2", () -> {
                try {
                    return g1.decide(flow(Protocol.TCP, "10.77.0.1", 8022)) == Verdict.CONTINUE;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            eventually("the stale file is removed", () -> !Files.exists(file));
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void closeRemovesTheOwnFileForGoodAndARemovedFileIsPutBack() throws Exception {
        VmIsolationFilter g1 = (VmIsolationFilter) instance("g1", tcp(8022));
        Path own = g1.watcher().ownFile();
        assertEquals(List.of(own), files());
        assertEquals(List.of(tcp(8022)), RegistryEntry.parse(Files.readString(own)).forwards());
        Files.delete(own);
        g1.watcher().refresh();
        assertTrue(Files.exists(own));
        g1.close();
        assertEquals(List.of(), files());
        g1.watcher().refresh();
        g1.close();
        assertEquals(List.of(), files());
    }

    @Test
    void brokenFilesAreIgnoredWithOneWarning() throws Exception {
        Files.writeString(registry.resolve("junk.fwd"), "version=1\nid=junk\npid=1\nforward=tcp nowhere 8022\n");
        TestingFilterContext ctx = TestingFilterContext.builder().option("registry", registry.toString())
                .instanceId("g1").build();
        FlowFilter g1 = new VmIsolationProvider().create(ctx);
        filters.add(g1);
        assertEquals(Verdict.CONTINUE, g1.decide(flow(Protocol.TCP, "127.0.0.1", 8022)));
        ((VmIsolationFilter) g1).watcher().refresh();
        assertEquals(1, ctx.logLines().stream().filter(l -> l.startsWith("WARN ignoring registry file")).count(),
                ctx.logLines().toString());
    }

    @Test
    void logsWhatItPublishedAndFound() throws Exception {
        instance("g2", tcp(8022));
        TestingFilterContext ctx = TestingFilterContext.builder().option("registry", registry.toString())
                .instanceId("g1").forward(new PortForward(Protocol.UDP, InetAddress.getByName("::1"), 53, 54)).build();
        filters.add(new VmIsolationProvider().create(ctx));
        String log = String.join("\n", ctx.logLines());
        assertTrue(log.contains("INFO instance g2 (pid " + ProcessHandle.current().pid() + ") forwarding tcp 8022 found"), log);
        assertTrue(log.contains("INFO published instance g1 (pid " + ProcessHandle.current().pid()
                + ") forwarding udp [::1]:53-54 as " + registry), log);
        assertTrue(log.contains("; 1 other live instance(s); refusing their ports (reject)"), log);
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        VmIsolationProvider p = new VmIsolationProvider();
        String unknown = assertThrows(IllegalArgumentException.class, () -> p.create(TestingFilterContext.builder()
                .option("registy", "/x").build())).getMessage();
        assertEquals("unknown option \"registy\" (known options: mode, registry, rescan)", unknown);
        String rescan = assertThrows(IllegalArgumentException.class, () -> p.create(TestingFilterContext.builder()
                .option("registry", registry.toString()).option("rescan", "10").build())).getMessage();
        assertEquals("option \"rescan\": 10 is not between 50 and 60000", rescan);
        String blank = assertThrows(IllegalArgumentException.class, () -> p.create(TestingFilterContext.builder()
                .option("registry", " ").build())).getMessage();
        assertEquals("option \"registry\" needs a directory", blank);
    }

    @Test
    void anUnusableRegistryStopsStartup() throws Exception {
        Path file = Files.writeString(registry.resolve("plain-file"), "x");
        String msg = assertThrows(IllegalArgumentException.class, () -> new VmIsolationProvider().create(
                TestingFilterContext.builder().option("registry", file.resolve("sub").toString()).build())).getMessage();
        assertTrue(msg.startsWith("option \"registry\": cannot publish this instance's forwards in " + file.resolve("sub")),
                msg);
    }

    @Test
    void defaultRegistryDirectory() {
        PluginOptions none = PluginOptions.empty();
        assertEquals(Path.of("/run/sluice"), VmIsolationProvider.registryDir(none, Map.of("XDG_RUNTIME_DIR", "/run/user/0"), true));
        assertEquals(Path.of("/run/user/1000/sluice"),
                VmIsolationProvider.registryDir(none, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), false));
        assertEquals("XDG_RUNTIME_DIR is not set: give the registry directory (registry=DIR), the same for every "
                + "instance to isolate", assertThrows(IllegalArgumentException.class,
                () -> VmIsolationProvider.registryDir(none, Map.of(), false)).getMessage());
        assertEquals(Path.of("/srv/reg"), VmIsolationProvider.registryDir(
                PluginOptions.of(Map.of("registry", "/srv/reg")), Map.of(), true));
    }

    @Test
    void isFoundByServiceLoaderAndDescribesItsOptions() {
        List<String> names = ServiceLoader.load(FlowFilterProvider.class).stream().map(p -> p.get().name()).toList();
        assertTrue(names.contains("vm-isolation"), names.toString());
        assertEquals(List.of("registry", "rescan", "mode"),
                new VmIsolationProvider().options().stream().map(o -> o.key()).toList());
    }
}
