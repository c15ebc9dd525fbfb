package dev.sluice.bench;

import static dev.sluice.bench.ChainBench.sa;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import dev.sluice.plugins.rules.RulesProvider;
import java.util.concurrent.TimeUnit;
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
 * The rules plugin's {@code decide} with 10 and with 10 000 rules: half IPv4
 * /24s with a port range each, half IPv6 /48s, so the tries are as deep as
 * real rule sets make them. Three flows: one matching the last IPv4 rule, one
 * IPv6 flow matching the last IPv6 rule, one that matches nothing (the
 * default). A first-match-by-scan filter would cost 1 000 times more with
 * 10 000 rules; the compiled tries should not.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RulesBench {
    @Param({"10", "10000"})
    int rules;

    private FlowFilter filter;
    private FlowAttempt lastV4;
    private FlowAttempt lastV6;
    private FlowAttempt none;

    @Setup
    public void setup() {
        StringBuilder deny = new StringBuilder();
        int lastV4Rule = -1;
        int lastV6Rule = -1;
        for (int i = 0; i < rules; i++) {
            deny.append(i == 0 ? "" : ",");
            if (i % 2 == 0) {
                deny.append("tcp/10.").append(i >>> 8 & 255).append('.').append(i & 255).append(".0/24:")
                        .append(1000 + i % 1000).append('-').append(1100 + i % 1000);
                lastV4Rule = i;
            } else {
                deny.append("udp/fd00:").append(Integer.toHexString(i)).append("::/48:53");
                lastV6Rule = i;
            }
        }
        filter = new RulesProvider().create(TestingFilterContext.builder()
                .option("deny", deny.toString()).option("default", "allow").build());
        lastV4 = flow(Protocol.TCP, "10." + (lastV4Rule >>> 8 & 255) + "." + (lastV4Rule & 255) + ".7",
                1050 + lastV4Rule % 1000);
        lastV6 = flow(Protocol.UDP, "fd00:" + Integer.toHexString(lastV6Rule) + ":0:1::7", 53);
        none = flow(Protocol.TCP, "10.99.0.1", 80);
        check(lastV4, Verdict.Kind.REJECT);
        check(lastV6, Verdict.Kind.REJECT);
        check(none, Verdict.Kind.ACCEPT);
    }

    private void check(FlowAttempt f, Verdict.Kind expected) {
        Verdict v = filter.decide(f);
        if (v.kind() != expected) {
            throw new IllegalStateException(f + ": " + v + ", expected " + expected);
        }
    }

    private static FlowAttempt flow(Protocol p, String dst, int port) {
        java.net.InetSocketAddress d = sa(dst, port);
        return new FlowAttempt(p, sa(d.getAddress() instanceof java.net.Inet4Address ? "10.77.0.50" : "fd77::50",
                40000), d, d);
    }

    @TearDown
    public void tearDown() {
        filter.close();
    }

    @Benchmark
    public Verdict matchLastIpv4Rule() {
        return filter.decide(lastV4);
    }

    @Benchmark
    public Verdict matchLastIpv6Rule() {
        return filter.decide(lastV6);
    }

    @Benchmark
    public Verdict matchNoRule() {
        return filter.decide(none);
    }
}
