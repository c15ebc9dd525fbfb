package dev.sluice.bench;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.plugin.FilterChain;
import dev.sluice.core.plugin.LiveHostView;
import dev.sluice.core.plugin.PluginCatalog;
import dev.sluice.core.plugin.PluginEnvironment;
import dev.sluice.core.plugin.PluginSpec;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The core's {@link FilterChain} with four bundled plugins, guest-addr,
 * no-map-host, outbound-if and vm-isolation, deciding one new TCP flow that
 * all of them let through (the longest path: every filter runs; outbound-if
 * binds it to {@code lo}). {@code host=kernel} is what Sluice runs with:
 * no-map-host asks the kernel by a netlink route lookup per flow;
 * {@code host=snapshot} answers from the address list, showing the chain's
 * own cost without that system call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChainBench {
    @Param({"kernel", "snapshot"})
    String host;

    /** Which of the four to chain, in this order; {@code -p plugins=no-map-host} measures one alone. */
    @Param({"guest-addr,no-map-host,outbound-if,vm-isolation"})
    String plugins;

    private FilterChain chain;
    private LiveHostView view;
    private Path registry;
    private final InetSocketAddress src = sa("10.77.0.50", 40000);
    private final InetSocketAddress dst = sa("10.99.0.1", 80);

    @Setup
    public void setup() throws IOException {
        registry = Files.createTempDirectory("sluice-jmh-registry");
        view = host.equals("kernel") ? LiveHostView.fromNetworkInterfaces()
                : new LiveHostView(List.of(new dev.sluice.api.HostAddress("lo", 1, ip("127.0.0.1"), 8)), null);
        GuestConfig guest = new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, 0, GuestConfig.DEFAULT_MTU,
                true, (Inet4Address) ip("10.77.0.50"), 24, (Inet4Address) ip("10.77.0.254"), List.of(),
                true, (Inet6Address) ip("fd77::50"), 64, (Inet6Address) ip("fd77::fe"), (Inet6Address) ip("fe80::1"),
                List.of(), List.of(), true, true, true, true);
        PluginEnvironment env = new PluginEnvironment(view, guest, new GuestState(0x0a0b0c0d0e0fL), new Counters(),
                "jmh-" + ProcessHandle.current().pid(), List.of(new PortForward(Protocol.TCP, null, 2222)));
        List<PluginSpec> specs = Stream.of(plugins.split(",")).map(String::trim)
                .map(n -> n.equals("outbound-if") ? "outbound-if:10.99.0.0/24=lo"
                        : n.equals("vm-isolation") ? "vm-isolation:registry=" + registry : n)
                .map(PluginSpec::parse).toList();
        chain = FilterChain.build(PluginCatalog.discover(List.of()), specs, env);
        GateDecision d = decide();
        boolean binds = plugins.contains("outbound-if");
        if (d.action() != GateDecision.Action.ACCEPT || binds != "lo".equals(d.bindInterface())) {
            throw new IllegalStateException("the chain should let the flow through bound to lo: " + d);
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        chain.close();
        view.close();
        try (Stream<Path> s = Files.walk(registry)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public GateDecision decide() {
        return chain.decide(FlowProtocol.TCP, src, dst, dst);
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress sa(String literal, int port) {
        return new InetSocketAddress(ip(literal), port);
    }
}
