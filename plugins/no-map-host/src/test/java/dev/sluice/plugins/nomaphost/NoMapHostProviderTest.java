package dev.sluice.plugins.nomaphost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.GuestView;
import dev.sluice.api.HostAddress;
import dev.sluice.api.HostView;
import dev.sluice.api.InstanceInfo;
import dev.sluice.api.PluginLogger;
import dev.sluice.api.PluginOptions;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NoMapHostProviderTest {
    private static final InetSocketAddress GUEST = sa("10.77.0.50", 40000);

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetSocketAddress sa(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    /** A flow sent to {@code dst}, which Sluice's mapping turned into {@code mapped}. */
    private static FlowAttempt flow(Protocol p, String dst, String mapped, int port) {
        InetSocketAddress source = p == Protocol.ICMPV6 || dst.contains(":") ? sa("fd77::50", 40000) : GUEST;
        return new FlowAttempt(p, source, sa(dst, port), sa(mapped, port));
    }

    private static FlowAttempt flow(Protocol p, String dst, int port) {
        return flow(p, dst, dst, port);
    }

    /** The topology's host h: eth0 and dum0, each with IPv4, IPv6 and a link-local address. */
    private static TestingFilterContext.Builder host() {
        return TestingFilterContext.builder()
                .hostAddress("lo", ip("127.0.0.1"), 8)
                .hostAddress("lo", ip("::1"), 128)
                .hostAddress("eth0", ip("10.77.0.1"), 24)
                .hostAddress("eth0", ip("fd77::1"), 64)
                .hostAddress("eth0", ip("fe80::1"), 64)
                .hostAddress("dum0", ip("10.66.0.1"), 24)
                .hostAddress("dum0", ip("fd66::1"), 64)
                .hostAddress("dum0", ip("169.254.7.7"), 16);
    }

    private static FlowFilter filter(TestingFilterContext.Builder b, String... kv) {
        for (int i = 0; i < kv.length; i += 2) {
            b.option(kv[i], kv[i + 1]);
        }
        return new NoMapHostProvider().create(b.build());
    }

    private static String error(String... kv) {
        return assertThrows(IllegalArgumentException.class, () -> filter(host(), kv)).getMessage();
    }

    @Test
    void refusesEveryAddressOfEveryInterfaceForEveryProtocol() {
        FlowFilter f = filter(host());
        String[][] local = {
            {"10.77.0.1", "eth0"}, {"fd77::1", "eth0"}, {"fe80::1", "eth0"},
            {"10.66.0.1", "dum0"}, {"fd66::1", "dum0"}, {"169.254.7.7", "dum0"},
        };
        for (String[] l : local) {
            boolean v6 = l[0].contains(":");
            for (Protocol p : new Protocol[] {Protocol.TCP, Protocol.UDP, v6 ? Protocol.ICMPV6 : Protocol.ICMP}) {
                int port = p.isIcmp() ? 0 : 2222;
                assertEquals(Verdict.reject("destination " + l[0] + " is local to the host (" + l[1] + ")"),
                        f.decide(flow(p, l[0], port)), p + " " + l[0]);
            }
        }
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.99.0.1", 80)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.UDP, "fd99::1", 53)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.ICMP, "10.77.0.254", 0)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.66.0.2", 22)));
    }

    @Test
    void loopbackUnspecifiedAndTheGatewayMappingAreLocalToo() {
        FlowFilter f = filter(host());
        // The gateway mapping (10.77.0.254 -> 127.0.0.1, fd77::fe -> ::1): what the audit names is the mapped address.
        assertEquals(Verdict.reject("destination 127.0.0.1 is local to the host (lo)"),
                f.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 22)));
        assertEquals(Verdict.reject("destination ::1 is local to the host (lo)"),
                f.decide(flow(Protocol.TCP, "fd77::fe", "::1", 22)));
        assertEquals(Verdict.reject("destination 127.0.0.1 is local to the host (lo)"),
                f.decide(flow(Protocol.ICMP, "10.77.0.254", "127.0.0.1", 0)));
        // All of 127/8, and the unspecified addresses (a connect() there reaches loopback).
        for (String a : new String[] {"127.1.2.3", "0.0.0.0", "::"}) {
            assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "10.77.0.254", a, 22)).kind(), a);
        }
        // --map-guest-addr: mapped to the host's own external address.
        assertEquals(Verdict.reject("destination 10.77.0.1 is local to the host (eth0)"),
                f.decide(flow(Protocol.TCP, "10.77.0.2", "10.77.0.1", 22)));
    }

    @Test
    void allowLoopbackOpensOnlyWhatSluiceMapsToLoopback() {
        FlowFilter f = filter(host(), "allow", "loopback");
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.77.0.254", "127.0.0.1", 22)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.UDP, "fd77::fe", "::1", 53)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.ICMP, "10.77.0.254", "127.0.0.1", 0)));
        // The host's other addresses stay closed, also when reached through a mapping.
        assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "10.66.0.1", 2222)).kind());
        assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "fd77::1", 2222)).kind());
        assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "10.77.0.2", "10.77.0.1", 22)).kind());
        assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "10.77.0.254", "0.0.0.0", 22)).kind());
        // A loopback destination the mapping did not produce is not "the gateway path".
        assertEquals(Verdict.Kind.REJECT, f.decide(flow(Protocol.TCP, "127.0.0.1", 22)).kind());
    }

    @Test
    void dropMode() {
        FlowFilter f = filter(host(), "mode", "drop");
        assertEquals(Verdict.drop("destination 10.66.0.1 is local to the host (dum0)"),
                f.decide(flow(Protocol.UDP, "10.66.0.1", 7000)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.UDP, "10.99.0.1", 7000)));
    }

    @Test
    void anIpv4MappedDestinationIsJudgedAsItsIpv4Address() throws Exception {
        FlowFilter f = filter(host());
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 66, 0, 1}, -1);
        InetSocketAddress dst = new InetSocketAddress(mapped, 2222);
        FlowAttempt flow = new FlowAttempt(Protocol.TCP, sa("fd77::50", 40000), dst, dst);
        assertEquals(Verdict.reject("destination 10.66.0.1 is local to the host (dum0)"), f.decide(flow));
    }

    /** A host view whose kernel answer changes between calls, the way addresses come and go. */
    @Test
    void decidesFromTheViewAtEachFlowWithNothingCached() {
        List<InetAddress> present = new ArrayList<>();
        List<InetAddress> asked = new ArrayList<>();
        HostView live = new HostView() {
            @Override
            public List<HostAddress> addresses() {
                return List.of(); // the list lags behind: the filter must not rely on it
            }

            @Override
            public Set<InetAddress> localAddresses() {
                return Set.of();
            }

            @Override
            public boolean isLocal(InetAddress address) {
                return localInterface(address) != null;
            }

            @Override
            public String localInterface(InetAddress address) {
                asked.add(address);
                return present.contains(address) ? "dum0" : null;
            }

            @Override
            public long generation() {
                return 0;
            }
        };
        FlowFilter f = new NoMapHostProvider().create(withHost(TestingFilterContext.empty(), live));
        FlowAttempt to55 = flow(Protocol.TCP, "10.55.0.1", 2222);
        assertEquals(Verdict.CONTINUE, f.decide(to55));
        present.add(ip("10.55.0.1"));
        assertEquals(Verdict.reject("destination 10.55.0.1 is local to the host (dum0)"), f.decide(to55));
        present.clear();
        assertEquals(Verdict.CONTINUE, f.decide(to55));
        assertEquals(List.of(ip("10.55.0.1"), ip("10.55.0.1"), ip("10.55.0.1")), asked);
    }

    private static FilterContext withHost(TestingFilterContext base, HostView host) {
        return new FilterContext() {
            @Override
            public PluginOptions options() {
                return base.options();
            }

            @Override
            public HostView host() {
                return host;
            }

            @Override
            public GuestView guest() {
                return base.guest();
            }

            @Override
            public InstanceInfo instance() {
                return base.instance();
            }

            @Override
            public PluginLogger logger() {
                return base.logger();
            }
        };
    }

    @Test
    void logsWhatItRefuses() {
        TestingFilterContext ctx = host().build();
        new NoMapHostProvider().create(ctx);
        assertEquals(List.of("INFO refusing guest flows to the host's own addresses, loopback included (reject)"),
                ctx.logLines());
        ctx = host().option("allow", "loopback").option("mode", "drop").build();
        new NoMapHostProvider().create(ctx);
        assertEquals(List.of("INFO refusing guest flows to the host's own addresses except those mapped to its"
                + " loopback (drop)"), ctx.logLines());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertEquals("option \"allow\": \"gateway\" is not one of loopback", error("allow", "gateway"));
        assertEquals("option \"allow\": \"lan\" is not one of loopback", error("allow", "loopback,lan"));
        assertEquals("unknown option \"alow\" (known options: allow, mode)", error("alow", "loopback"));
        assertEquals("option \"mode\": \"deny\" is not one of drop, reject", error("mode", "deny"));
    }

    @Test
    void addressText() {
        assertEquals("fd66::1", NoMapHostFilter.text(ip("fd66:0:0:0:0:0:0:1")));
        assertEquals("::", NoMapHostFilter.text(ip("::")));
        assertEquals("2001:db8::1:0:0:1", NoMapHostFilter.text(ip("2001:db8:0:0:1:0:0:1")));
        assertEquals("10.66.0.1", NoMapHostFilter.text(ip("10.66.0.1")));
    }

    @Test
    void isFoundByServiceLoader() {
        List<String> names = ServiceLoader.load(FlowFilterProvider.class).stream()
                .map(p -> p.get().name()).toList();
        assertTrue(names.contains("no-map-host"), names.toString());
        assertEquals(List.of("allow", "mode"), new NoMapHostProvider().options().stream().map(o -> o.key()).toList());
    }
}
