package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.ip;
import static dev.sluice.core.plugin.TestEnv.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.api.Verdict;
import dev.sluice.core.Counters;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.l2.FrameGate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FilterChainTest {
    private final Counters counters = new Counters();
    private final List<String> audit = new ArrayList<>();
    private final TestEnv.Fixed accept = new TestEnv.Fixed("accept", f -> Verdict.ACCEPT);
    private final TestEnv.Fixed reject = new TestEnv.Fixed("reject", f -> Verdict.reject("no entry"));
    private final TestEnv.Fixed drop = new TestEnv.Fixed("drop", f -> Verdict.drop("silence"));
    private final TestEnv.Fixed pass = new TestEnv.Fixed("pass", f -> Verdict.CONTINUE);
    private final TestEnv.Fixed bindIf = new TestEnv.Fixed("bind-if", f -> {
        f.bindInterface("eth1");
        return Verdict.CONTINUE;
    });
    private final TestEnv.Fixed bindSrc = new TestEnv.Fixed("bind-src", f -> {
        f.bindSource(ip("10.66.0.1"));
        return Verdict.CONTINUE;
    });
    private final TestEnv.Fixed boom = new TestEnv.Fixed("boom", f -> {
        throw new IllegalStateException("bug");
    });
    private final TestEnv.Fixed nothing = new TestEnv.Fixed("nothing", f -> null);
    private final PluginCatalog catalog = PluginCatalog.of(accept, reject, drop, pass, bindIf, bindSrc, boom, nothing);

    private FilterChain chain(String... specs) {
        AuditLog log = new AuditLog(audit::add, counters, 100, 1_000_000_000L, () -> 0L, 100);
        return FilterChain.build(catalog, List.of(specs).stream().map(PluginSpec::parse).toList(),
                TestEnv.env(counters), log);
    }

    private static GateDecision tcp(FilterChain c) {
        return c.decide(FlowProtocol.TCP, sa("10.77.0.50", 40000), sa("10.77.0.254", 22), sa("127.0.0.1", 22));
    }

    @Test
    void orderDecides() {
        GateDecision d = tcp(chain("accept", "reject"));
        assertEquals(GateDecision.Action.ACCEPT, d.action());
        assertEquals("accept", d.plugin(), "the deciding plugin is named (flows listing)");
        d = tcp(chain("reject", "accept"));
        assertEquals(GateDecision.Action.REJECT, d.action());
        assertEquals("reject", d.plugin());
        assertEquals("no entry", d.reason());
        assertEquals(Map.of("plugin.accept.accepted", 1L, "plugin.reject.rejected", 1L), counters.snapshot());
        assertEquals(List.of("REJECT proto=tcp src=10.77.0.50:40000 dst=10.77.0.254:22 mapped=127.0.0.1:22"
                + " plugin=reject reason=\"no entry\""), audit);
    }

    @Test
    void emptyChainAndContinueAccept() {
        assertSame(GateDecision.ACCEPT, tcp(chain()));
        assertSame(GateDecision.ACCEPT, tcp(chain("pass", "pass")));
        assertEquals(2L, counters.snapshot().get("chain.undecided"));
    }

    @Test
    void dropIsAuditedAndCounted() {
        GateDecision d = chain("pass", "drop").decide(FlowProtocol.UDP, sa("fd77::50", 5353), sa("fd99::1", 53),
                sa("fd99::1", 53));
        assertEquals(GateDecision.drop("drop", "silence"), d);
        assertEquals(1L, counters.snapshot().get("plugin.drop.dropped"));
        assertEquals(List.of("DROP proto=udp src=[fd77::50]:5353 dst=[fd99::1]:53 mapped=[fd99::1]:53"
                + " plugin=drop reason=\"silence\""), audit);
    }

    @Test
    void bindingsReachTheDecision() {
        GateDecision d = tcp(chain("bind-if", "bind-src", "pass"));
        assertEquals(GateDecision.accept("eth1", ip("10.66.0.1")), d);
        d = tcp(chain("bind-if", "accept", "bind-src"));
        assertEquals(new GateDecision(GateDecision.Action.ACCEPT, "eth1", null, "accept", null), d);
        d = tcp(chain("bind-if", "reject"));
        assertNull(d.bindInterface());
    }

    @Test
    void throwingOrNullFilterDeniesIsCountedAuditedAndLoggedOnce() {
        FilterChain c = chain("pass", "boom", "accept");
        String err = captureStderr(() -> {
            for (int i = 0; i < 3; i++) {
                GateDecision d = tcp(c);
                assertEquals(GateDecision.reject("boom", "plugin failed: IllegalStateException"), d);
            }
        });
        assertEquals(3L, counters.snapshot().get("plugin.boom.errors"));
        assertEquals(null, counters.snapshot().get("plugin.accept.accepted"));
        assertEquals(3, audit.size());
        assertTrue(audit.get(0).endsWith("plugin=boom reason=\"plugin failed: IllegalStateException\""), audit.get(0));
        assertEquals(1, occurrences(err, "plugin boom failed deciding a new flow"), err);
        assertEquals(1, occurrences(err, "java.lang.IllegalStateException: bug"), err);

        FilterChain n = chain("nothing");
        err = captureStderr(() -> {
            assertEquals(GateDecision.reject("nothing", "plugin returned no verdict"), tcp(n));
            assertEquals(GateDecision.reject("nothing", "plugin returned no verdict"), tcp(n));
        });
        assertEquals(2L, counters.snapshot().get("plugin.nothing.errors"));
        assertEquals(1, occurrences(err, "plugin nothing failed deciding a new flow"), err);
        assertTrue(c.summary().contains("boom accepted=0 rejected=0 dropped=0 errors=3;"), c.summary());
    }

    @Test
    void aBadBindingIsAFailureToo() {
        TestEnv.Fixed v6src = new TestEnv.Fixed("v6src", f -> {
            f.bindSource(ip("fd66::1")); // IPv4 flow
            return Verdict.ACCEPT;
        });
        FilterChain c = FilterChain.build(PluginCatalog.of(v6src), List.of(PluginSpec.parse("v6src")),
                TestEnv.env(counters), new AuditLog(audit::add, counters, 5, 1, () -> 0L, 10));
        String err = captureStderr(() ->
                assertEquals(GateDecision.Action.REJECT, tcp(c).action()));
        assertTrue(err.contains("is not of the family of"), err);
    }

    @Test
    void unknownNameListsInstalledPlugins() {
        PluginException e = assertThrows(PluginException.class, () -> chain("accept", "deny-prot"));
        assertEquals("unknown plugin \"deny-prot\"; installed plugins: accept, bind-if, bind-src, boom, drop, nothing,"
                + " pass, reject (see --list-plugins)", e.getMessage());
        assertEquals(0, accept.closed); // nothing was created before all names were checked
        assertNull(accept.lastContext);
        e = assertThrows(PluginException.class, () -> FilterChain.build(PluginCatalog.of(),
                List.of(PluginSpec.parse("x")), TestEnv.env(counters)));
        assertEquals("unknown plugin \"x\": no plugins are installed (searched: class path)", e.getMessage());
    }

    @Test
    void badOptionIsThePluginsMessageAndEarlierFiltersAreClosed() {
        PluginException e = assertThrows(PluginException.class, () -> chain("accept", "pass:k=1,kk=2"));
        assertEquals("plugin pass: unknown option \"kk\" (known options: k)", e.getMessage());
        assertEquals(1, accept.closed);
    }

    @Test
    void failingCreateIsAStartupError() {
        FlowFilterProvider broken = new FlowFilterProvider() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String description() {
                return "fails";
            }

            @Override
            public FlowFilter create(FilterContext context) {
                throw new IllegalStateException("no config file");
            }
        };
        PluginException e = assertThrows(PluginException.class, () -> FilterChain.build(PluginCatalog.of(broken),
                List.of(PluginSpec.parse("broken")), TestEnv.env(counters)));
        assertEquals("plugin broken (class path) failed to start: java.lang.IllegalStateException: no config file",
                e.getMessage());
    }

    @Test
    void samePluginTwiceGetsTwoLabels() {
        FilterChain c = chain("pass", "pass:k=1", "reject");
        assertEquals(List.of("pass", "pass#2", "reject"), c.labels());
        tcp(c);
        assertTrue(c.summary().startsWith("plugins: pass accepted=0 rejected=0 dropped=0 errors=0; pass#2 accepted=0"),
                c.summary());
        assertTrue(c.summary().endsWith("reject accepted=0 rejected=1 dropped=0 errors=0; undecided=0;"
                + " audit lines suppressed=0"), c.summary());
    }

    @Test
    void contextCarriesOptionsAndViews() {
        chain("pass:k=v");
        FilterContext ctx = pass.lastContext;
        assertEquals(Map.of("k", "v"), ctx.options().asMap());
        assertEquals(Optional.of("0a:0b:0c:0d:0e:0f"), ctx.guest().mac());
        assertEquals(List.of(ip("10.77.0.50"), ip("fd77::50")), ctx.guest().assignedAddresses());
        assertEquals(Optional.of(ip("10.77.0.254")), ctx.guest().gateway4().map(a -> (java.net.InetAddress) a));
        assertEquals("test-1", ctx.instance().id());
        assertEquals(List.of(new PortForward(Protocol.TCP, null, 2222)), ctx.instance().inboundForwards());
        assertTrue(ctx.host().isLocal(ip("10.77.0.1")));
        assertTrue(ctx.host().isLocal(ip("127.0.0.1")));
    }

    @Test
    void closeClosesFiltersAndFlushesAudit() {
        List<String> lines = new ArrayList<>();
        FilterChain c = FilterChain.build(catalog, List.of(PluginSpec.parse("reject")), TestEnv.env(counters),
                new AuditLog(lines::add, counters, 1, 1_000_000_000L, () -> 0L, 10));
        tcp(c);
        tcp(c);
        tcp(c);
        assertEquals(1, lines.size());
        c.close();
        c.close();
        assertEquals(1, reject.closed);
        assertEquals("SUPPRESSED plugin=reject dst=10.77.0.254:22 suppressed=2", lines.get(1));
    }

    private FilterChain frameChain(PluginCatalog cat, String... specs) {
        AuditLog log = new AuditLog(audit::add, counters, 2, 1_000_000_000L, () -> 0L, 100);
        return FilterChain.build(cat, List.of(specs).stream().map(PluginSpec::parse).toList(),
                TestEnv.env(counters), log);
    }

    @Test
    void noFrameGateUnlessAFilterAsksForIt() {
        assertNull(chain().frameGate());
        assertNull(chain("pass", "reject").frameGate());
    }

    @Test
    void frameHooksAreAskedInOrderAndTheFirstRefusalDropsCountsAndAudits() {
        TestEnv.Frames only60 = new TestEnv.Frames("only60", m -> m == 0x020000000060L);
        TestEnv.Frames all = new TestEnv.Frames("all", m -> true);
        FilterChain c = frameChain(PluginCatalog.of(only60, all, pass), "pass", "all", "only60");
        FrameGate gate = c.frameGate();
        assertTrue(gate.acceptSourceMac(0x020000000060L));
        assertEquals(1, all.calls);
        assertEquals(1, only60.calls);
        for (int i = 0; i < 3; i++) {
            assertFalse(gate.acceptSourceMac(0x020000000061L));
        }
        assertEquals(4, all.calls);
        assertEquals(4, only60.calls);
        assertEquals(3L, counters.snapshot().get("plugin.only60.frames-dropped"));
        assertNull(counters.snapshot().get("plugin.all.frames-dropped"));
        assertEquals(List.of("DROP frame src=02:00:00:00:00:61 plugin=only60 reason=\"only60 refuses 02:00:00:00:00:61\"",
                "DROP frame src=02:00:00:00:00:61 plugin=only60 reason=\"only60 refuses 02:00:00:00:00:61\""), audit);
        assertTrue(c.summary().contains("only60 accepted=0 rejected=0 dropped=0 errors=0 frames-dropped=3;"), c.summary());
        assertTrue(c.summary().contains("pass accepted=0 rejected=0 dropped=0 errors=0;"), c.summary());
        assertTrue(c.summary().endsWith("audit lines suppressed=1"), c.summary());

        TestEnv.Frames none = new TestEnv.Frames("none", m -> false);
        FrameGate first = frameChain(PluginCatalog.of(none, all), "none", "all").frameGate();
        all.calls = 0;
        assertFalse(first.acceptSourceMac(0x020000000060L));
        assertEquals(0, all.calls, "later hooks are not asked once one refused");
    }

    @Test
    void aThrowingFrameHookDropsTheFrameIsCountedAndLoggedOnce() {
        TestEnv.Frames boomFrames = new TestEnv.Frames("boom-frames", m -> {
            throw new IllegalStateException("frame bug");
        });
        FrameGate gate = frameChain(PluginCatalog.of(boomFrames), "boom-frames").frameGate();
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        String err = captureStderr(() -> {
            assertFalse(gate.acceptSourceMac(0x020000000060L));
            assertFalse(gate.acceptSourceMac(0x020000000060L));
        });
        assertSame(before, Thread.currentThread().getContextClassLoader());
        assertEquals(2L, counters.snapshot().get("plugin.boom-frames.errors"));
        assertNull(counters.snapshot().get("plugin.boom-frames.frames-dropped"));
        assertEquals(1, occurrences(err, "plugin boom-frames failed checking a guest frame from 02:00:00:00:00:60"), err);
        assertEquals(1, occurrences(err, "java.lang.IllegalStateException: frame bug"), err);
        assertEquals(List.of("DROP frame src=02:00:00:00:00:60 plugin=boom-frames reason=\"plugin failed: IllegalStateException\"",
                "DROP frame src=02:00:00:00:00:60 plugin=boom-frames reason=\"plugin failed: IllegalStateException\""),
                audit);
    }

    @Test
    void guestViewCarriesPrefixesSlaacAndTheLearnedMac() {
        TestEnv.Frames f = new TestEnv.Frames("f", m -> true);
        PluginEnvironment env = TestEnv.env(counters);
        FilterChain.build(PluginCatalog.of(f), List.of(PluginSpec.parse("f")), env);
        dev.sluice.api.GuestView g = f.lastContext.guest();
        assertEquals(24, g.prefixLength4());
        assertEquals(64, g.prefixLength6());
        assertTrue(g.slaac());
        assertTrue(g.inPrefix6(ip("fd77::1234")));
        assertFalse(g.inPrefix6(ip("fd78::50")));
        assertEquals(0x0a0b0c0d0e0fL, g.macAsLong());
        env.guestState().learnMac(0x020000000060L);
        assertEquals(0x020000000060L, g.macAsLong(), "live, not a copy");
        assertEquals(Optional.of("02:00:00:00:00:60"), g.mac());

        // No router advertisements, or a prefix that is not a /64: no SLAAC.
        dev.sluice.core.GuestConfig c = TestEnv.guestConfig();
        for (dev.sluice.core.GuestConfig noSlaac : new dev.sluice.core.GuestConfig[] {
                new dev.sluice.core.GuestConfig(c.ourMac(), 0, c.mtu(), true, c.addr4(), 16, c.gw4(), c.dns4(), true,
                        c.addr6(), 64, c.gw6(), c.routerLl6(), c.dns6(), c.search(), true, true, true, false),
                new dev.sluice.core.GuestConfig(c.ourMac(), 0, c.mtu(), true, c.addr4(), 16, c.gw4(), c.dns4(), true,
                        c.addr6(), 80, c.gw6(), c.routerLl6(), c.dns6(), c.search(), true, true, true, true)}) {
            dev.sluice.api.GuestView v = new CoreGuestView(noSlaac, new dev.sluice.core.GuestState(0));
            assertFalse(v.slaac());
            assertEquals(16, v.prefixLength4());
            assertEquals(0, v.macAsLong());
        }
        dev.sluice.core.GuestConfig v4only = new dev.sluice.core.GuestConfig(c.ourMac(), 0, c.mtu(), true, c.addr4(),
                24, c.gw4(), c.dns4(), false, null, 0, null, null, List.of(), List.of(), true, true, true, true);
        dev.sluice.api.GuestView v = new CoreGuestView(v4only, new dev.sluice.core.GuestState(0));
        assertEquals(0, v.prefixLength6());
        assertFalse(v.slaac());
        assertFalse(v.inPrefix6(ip("fd77::50")));
    }

    static String captureStderr(Runnable r) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static int occurrences(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
