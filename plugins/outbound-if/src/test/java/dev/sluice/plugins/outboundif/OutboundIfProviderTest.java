package dev.sluice.plugins.outboundif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboundIfProviderTest {
    /** The IT's host h: eth0 and dum0 uplinks, plus an address-less wg0. */
    private static TestingFilterContext.Builder host() throws Exception {
        return TestingFilterContext.builder()
                .hostAddress("lo", ip("127.0.0.1"), 8)
                .hostAddress("eth0", ip("10.77.0.1"), 24)
                .hostAddress("eth0", ip("fd77::1"), 64)
                .hostAddress("dum0", ip("10.66.0.1"), 24)
                .hostAddress("dum0", ip("fd66::1"), 64)
                .hostInterface("wg0");
    }

    /** Options as {@code --plugin outbound-if:SPEC} gives them (PluginSpec's comma rule, minus its checks). */
    private static Map<String, String> spec(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        String last = null;
        for (String item : spec.split(",")) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                out.put(last, out.get(last) + "," + item);
            } else {
                last = item.substring(0, eq);
                out.put(last, item.substring(eq + 1));
            }
        }
        return out;
    }

    private static TestingFilterContext ctx(String spec) throws Exception {
        return host().options(spec(spec)).build();
    }

    private static FlowFilter filter(TestingFilterContext ctx) {
        return new OutboundIfProvider().create(ctx);
    }

    private static String error(String spec) throws Exception {
        TestingFilterContext c = ctx(spec);
        return assertThrows(IllegalArgumentException.class, () -> filter(c)).getMessage();
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static FlowAttempt flow(Protocol p, String dst) throws Exception {
        InetAddress d = ip(dst);
        InetAddress src = ip(d instanceof java.net.Inet6Address ? "fd77::2" : "10.77.0.2");
        InetSocketAddress to = new InetSocketAddress(d, 80);
        return new FlowAttempt(p, new InetSocketAddress(src, 40000), to, to);
    }

    /** "dev@src" of the binding a flow to dst gets, "-" for none; or the verdict if not CONTINUE. */
    private static String route(FlowFilter f, String dst) throws Exception {
        FlowAttempt a = flow(Protocol.TCP, dst);
        Verdict v = f.decide(a);
        if (v != Verdict.CONTINUE) {
            return v.toString();
        }
        if (a.bindInterface() == null && a.bindSource() == null) {
            return "-";
        }
        return (a.bindInterface() == null ? "" : a.bindInterface())
                + (a.bindSource() == null ? "" : "@" + Prefix.text(a.bindSource()));
    }

    @Test
    void theCommandLineFormBindsByLongestPrefix() throws Exception {
        FlowFilter f = filter(ctx("10.99.0.0/24=dum0,default4=eth0,fd99::/64=dum0@fd66::1,10.99.0.7=-,10.99.0.8=wg0"));
        assertEquals("dum0", route(f, "10.99.0.1"));
        assertEquals("-", route(f, "10.99.0.7"));
        assertEquals("wg0", route(f, "10.99.0.8"));
        assertEquals("eth0", route(f, "10.99.1.1"));
        assertEquals("eth0", route(f, "192.0.2.1"));
        assertEquals("dum0@fd66::1", route(f, "fd99::1"));
        assertEquals("-", route(f, "fd98::1")); // no default6
        assertEquals("-", route(f, "127.0.0.1")); // the gateway mapping: never bound
        assertEquals("-", route(f, "::1"));
    }

    @Test
    void bindsEveryProtocol() throws Exception {
        FlowFilter f = filter(ctx("default4=dum0@10.66.0.1,default6=@fd66::1"));
        for (Protocol p : Protocol.values()) {
            boolean v6 = p == Protocol.ICMPV6;
            FlowAttempt a = flow(p, v6 ? "fd99::1" : "10.99.0.1");
            assertSame(Verdict.CONTINUE, f.decide(a));
            assertEquals(v6 ? null : "dum0", a.bindInterface(), p.toString());
            assertEquals(ip(v6 ? "fd66::1" : "10.66.0.1"), a.bindSource(), p.toString());
        }
    }

    @Test
    void decidesOnTheMappedDestination() throws Exception {
        FlowFilter f = filter(ctx("10.99.0.0/24=dum0"));
        InetSocketAddress sent = new InetSocketAddress(ip("10.0.2.2"), 80);
        InetSocketAddress mapped = new InetSocketAddress(ip("10.99.0.1"), 80);
        FlowAttempt a = new FlowAttempt(Protocol.UDP, new InetSocketAddress(ip("10.0.2.15"), 5000), sent, mapped);
        f.decide(a);
        assertEquals("dum0", a.bindInterface());
        FlowAttempt b = new FlowAttempt(Protocol.UDP, new InetSocketAddress(ip("10.0.2.15"), 5000), mapped, sent);
        f.decide(b);
        assertNull(b.bindInterface());
    }

    @Test
    void rulesFromAFileAndOptionsTogether(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("uplinks.rules");
        Files.writeString(file, "# lab\nfd99::/64 = dum0   # second uplink\n\n10.99.0.0/16=eth0\ndefault6=eth0\n");
        TestingFilterContext c = ctx("10.99.0.0/24=dum0,file=" + file + ",fallback=route");
        FlowFilter f = filter(c);
        assertEquals("dum0", route(f, "10.99.0.1"));
        assertEquals("eth0", route(f, "10.99.1.1"));
        assertEquals("dum0", route(f, "fd99::1"));
        assertEquals("eth0", route(f, "fd98::1"));
        assertEquals(List.of("INFO 4 rules: 10.99.0.0/24=dum0, fd99::/64=dum0, 10.99.0.0/16=eth0, default6=eth0;"
                + " gone interface or source: route"), c.logLines());
    }

    @Test
    void aFileAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r");
        Files.writeString(file, "default4=dum0\n");
        assertEquals("dum0", route(filter(ctx("file=" + file)), "10.99.0.1"));
    }

    @Test
    void startupErrors(@TempDir Path dir) throws Exception {
        assertEquals("interface dum1 does not exist (rule 10.99.0.0/24=dum1, option \"10.99.0.0/24\")",
                error("10.99.0.0/24=dum1"));
        assertEquals("interface eth9 does not exist (rule default6=eth9, option \"default6\")", error("default6=eth9"));
        assertEquals("source 10.66.0.9 is not an address of this host (rule 10.99.0.0/24=dum0@10.66.0.9,"
                + " option \"10.99.0.0/24\")", error("10.99.0.0/24=dum0@10.66.0.9"));
        assertEquals("no rules: give PREFIX=IFACE options (10.99.0.0/24=eth1), default4=IFACE, default6=IFACE,"
                + " or file=PATH", error("fallback=reject"));
        assertEquals("unknown option \"defualt4\" (known options: default4, default6, fallback, file;"
                + " rules are PREFIX=IFACE, e.g. 10.99.0.0/24=eth1)", error("defualt4=eth0"));
        assertEquals("option \"fallback\": \"maybe\" is not one of drop, reject, route", error("default4=eth0,fallback=maybe"));
        assertEquals("option \"10.99.0.0/24\": \"dum0,eth0\" is not an interface name", error("10.99.0.0/24=dum0,eth0"));
        assertEquals("option \"file\" needs a path", error("file="));
        Path file = dir.resolve("r");
        Files.writeString(file, "10.99.0.1/32=eth0\n");
        assertEquals("two rules for 10.99.0.1/32: option \"10.99.0.1\" and " + file + " line 1",
                error("10.99.0.1=dum0,file=" + file));
        assertEquals("two rules for default4: option \"default4\" and option \"0.0.0.0/0\"",
                error("default4=dum0,0.0.0.0/0=eth0"));
    }

    @Test
    void vanishingInterfaceRejectsWithAReasonAndLogsOnce() throws Exception {
        TestingFilterContext c = ctx("10.99.0.0/24=dum0,fd99::/64=dum0,default4=eth0");
        FlowFilter f = filter(c);
        assertEquals("dum0", route(f, "10.99.0.1"));
        c.removeHostInterface("dum0"); // ip link del dum0
        Verdict v4 = Verdict.reject("interface dum0 of rule 10.99.0.0/24=dum0 no longer exists");
        assertEquals(v4.toString(), route(f, "10.99.0.1"));
        assertEquals(v4.toString(), route(f, "10.99.0.2"));
        assertEquals(Verdict.reject("interface dum0 of rule fd99::/64=dum0 no longer exists").toString(), route(f, "fd99::1"));
        assertEquals("eth0", route(f, "10.98.0.1")); // other rules are unaffected
        FlowAttempt a = flow(Protocol.UDP, "10.99.0.1");
        assertEquals(Verdict.Kind.REJECT, f.decide(a).kind());
        assertNull(a.bindInterface()); // not routed elsewhere, not bound either
        assertEquals(List.of("WARN interface dum0 is gone: flows of its rules are rejected until it is back"),
                c.logLines().stream().filter(l -> l.startsWith("WARN")).toList());

        c.addHostAddress("dum0", ip("10.66.0.1"), 24); // it comes back
        assertEquals("dum0", route(f, "10.99.0.1"));
        assertTrue(c.logLines().contains("INFO interface dum0 is back: flows of its rules leave through it again"));
    }

    @Test
    void fallbackRouteUsesTheNormalRoute() throws Exception {
        TestingFilterContext c = ctx("10.99.0.0/24=dum0@10.66.0.1,fallback=route");
        FlowFilter f = filter(c);
        assertEquals("dum0@10.66.0.1", route(f, "10.99.0.1"));
        c.removeHostInterface("dum0");
        assertEquals("-", route(f, "10.99.0.1"));
        assertTrue(c.logLines().contains("WARN interface dum0 is gone: flows of its rules take the normal route until it is back"));
    }

    @Test
    void fallbackDrop() throws Exception {
        TestingFilterContext c = ctx("default4=wg0,fallback=drop");
        FlowFilter f = filter(c);
        assertEquals("wg0", route(f, "10.99.0.1"));
        c.removeHostInterface("wg0");
        assertEquals(Verdict.drop("interface wg0 of rule default4=wg0 no longer exists").toString(), route(f, "10.99.0.1"));
    }

    @Test
    void vanishingSourceRejectsToo() throws Exception {
        TestingFilterContext c = ctx("10.99.0.0/24=dum0@10.66.0.1,fd99::/64=@fd66::1");
        FlowFilter f = filter(c);
        c.removeHostAddress(ip("10.66.0.1")); // ip addr del: dum0 stays
        c.removeHostAddress(ip("fd66::1"));
        assertEquals(Verdict.reject("source 10.66.0.1 of rule 10.99.0.0/24=dum0@10.66.0.1 is no longer an address of the host")
                .toString(), route(f, "10.99.0.1"));
        assertEquals(Verdict.reject("source fd66::1 of rule fd99::/64=@fd66::1 is no longer an address of the host")
                .toString(), route(f, "fd99::1"));
        c.addHostAddress("dum0", ip("10.66.0.1"), 24);
        assertEquals("dum0@10.66.0.1", route(f, "10.99.0.1"));
    }

    @Test
    void warnsAboutASourceOnAnotherInterface() throws Exception {
        TestingFilterContext c = ctx("10.99.0.0/24=dum0@10.77.0.1");
        filter(c);
        assertTrue(c.logLines().contains("WARN source 10.77.0.1 is not on dum0 (rule 10.99.0.0/24=dum0@10.77.0.1):"
                + " its packets leave with another interface's address"), c.logLines().toString());
    }

    @Test
    void aDecisionAllocatesAlmostNothing() throws Exception {
        StringBuilder spec = new StringBuilder("default4=eth0,default6=eth0");
        for (int i = 0; i < 200; i++) {
            spec.append(",10.").append(i).append(".0.0/16=dum0,fd99:").append(Integer.toHexString(i)).append("::/32=dum0@fd66::1");
        }
        FlowFilter f = filter(ctx(spec.toString()));
        FlowAttempt[] flows = {flow(Protocol.TCP, "10.150.3.4"), flow(Protocol.UDP, "fd99:7::1"), flow(Protocol.TCP, "192.0.2.1")};
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < 100_000; i++) {
            f.decide(flows[i % 3]);
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            f.decide(flows[i % 3]);
        }
        long per = (mx.getThreadAllocatedBytes(tid) - before) / 100_000;
        assertTrue(per <= 64, "bytes per decision: " + per); // about the copy of the address bytes
        assertEquals("dum0", flows[0].bindInterface());
        assertEquals(ip("fd66::1"), flows[1].bindSource());
        assertEquals("eth0", flows[2].bindInterface());
    }

    @Test
    void describesItselfAndIsFoundByServiceLoader() {
        FlowFilterProvider p = ServiceLoader.load(FlowFilterProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(x -> x.name().equals("outbound-if")).findFirst().orElseThrow();
        assertTrue(p instanceof OutboundIfProvider);
        assertEquals(List.of("PREFIX", "default4", "default6", "file", "fallback"),
                p.options().stream().map(OptionInfo::key).toList());
    }
}
