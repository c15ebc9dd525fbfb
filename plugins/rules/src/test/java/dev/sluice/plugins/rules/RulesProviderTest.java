package dev.sluice.plugins.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.PluginOptions;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Table-driven: each row is a flow and the verdict the rules give it. */
class RulesProviderTest {
    static FlowAttempt flow(String proto, String dst, int port, String mapped, int mappedPort) throws Exception {
        Protocol p = Protocol.valueOf(proto.toUpperCase());
        InetSocketAddress d = new InetSocketAddress(InetAddress.getByName(dst), port);
        InetSocketAddress m = mapped == null ? d : new InetSocketAddress(InetAddress.getByName(mapped), mappedPort);
        InetAddress src = InetAddress.getByName(d.getAddress().getAddress().length == 4 ? "10.0.2.15" : "fd00::15");
        return new FlowAttempt(p, new InetSocketAddress(src, 40000), d, m);
    }

    static FlowFilter inline(String... kv) {
        TestingFilterContext.Builder b = TestingFilterContext.builder();
        for (int i = 0; i < kv.length; i += 2) {
            b.option(kv[i], kv[i + 1]);
        }
        return new RulesProvider().create(b.build());
    }

    /** proto, destination, port, expected verdict kind, expected reason (null for none). */
    record Row(String proto, String dst, int port, Verdict.Kind kind, String reason) {
    }

    static void check(FlowFilter f, List<Row> rows) throws Exception {
        for (Row r : rows) {
            Verdict v = f.decide(flow(r.proto, r.dst, r.port, null, 0));
            assertEquals(r.kind, v.kind(), r.toString());
            if (r.reason != null) {
                assertEquals(r.reason, v.reason(), r.toString());
            }
        }
    }

    @Test
    void firstMatchWinsAcrossPrefixesPortsAndProtocols() throws Exception {
        FlowFilter f = inline(
                "allow", "tcp/10.0.0.0/8:443,tcp/10.1.2.3:8000-8999",
                "deny", "udp/any:53,tcp/10.1.0.0/16",
                "drop", "icmp/any6,any/fd00::/8:22",
                "allow.2", "any/10.0.0.0/8",
                "default", "deny");
        check(f, List.of(
                new Row("tcp", "10.9.9.9", 443, Verdict.Kind.ACCEPT, null),
                new Row("tcp", "10.1.9.9", 443, Verdict.Kind.ACCEPT, null),      // rule 1 before rule 4
                new Row("tcp", "10.1.9.9", 80, Verdict.Kind.REJECT, "rule 4: deny tcp/10.1.0.0/16"),
                new Row("tcp", "10.1.2.3", 8000, Verdict.Kind.ACCEPT, null),
                new Row("tcp", "10.1.2.3", 8999, Verdict.Kind.ACCEPT, null),
                new Row("tcp", "10.1.2.3", 9000, Verdict.Kind.REJECT, "rule 4: deny tcp/10.1.0.0/16"),
                new Row("tcp", "10.1.2.4", 8000, Verdict.Kind.REJECT, "rule 4: deny tcp/10.1.0.0/16"),
                new Row("udp", "10.1.2.3", 53, Verdict.Kind.REJECT, "rule 3: deny udp/any:53"),
                new Row("udp", "fd99::1", 53, Verdict.Kind.REJECT, "rule 3: deny udp/any:53"),
                new Row("udp", "10.2.0.1", 54, Verdict.Kind.ACCEPT, null),       // allow.2
                new Row("icmpv6", "fd99::1", 0, Verdict.Kind.DROP, "rule 5: drop icmp/any6"),
                new Row("icmp", "10.2.0.1", 0, Verdict.Kind.ACCEPT, null),       // any/ includes icmp
                new Row("icmp", "192.168.1.1", 0, Verdict.Kind.REJECT, "no rule matched: default deny"),
                new Row("tcp", "fd12::1", 22, Verdict.Kind.DROP, "rule 6: drop any/fd00::/8:22"),
                new Row("tcp", "fe80::1", 22, Verdict.Kind.REJECT, "no rule matched: default deny"),
                new Row("tcp", "fd12::1", 23, Verdict.Kind.REJECT, "no rule matched: default deny"),
                new Row("tcp", "11.0.0.1", 443, Verdict.Kind.REJECT, "no rule matched: default deny")));
    }

    @Test
    void defaultIsPassAndPassStopsTheRules() throws Exception {
        FlowFilter f = inline("pass", "tcp/10.0.0.0/24", "deny", "tcp/10.0.0.0/8");
        check(f, List.of(
                new Row("tcp", "10.0.0.7", 80, Verdict.Kind.CONTINUE, null),
                new Row("tcp", "10.0.1.7", 80, Verdict.Kind.REJECT, "rule 2: deny tcp/10.0.0.0/8"),
                new Row("udp", "10.0.1.7", 80, Verdict.Kind.CONTINUE, null)));
    }

    @Test
    void mappedOrOriginalDestination() throws Exception {
        // The guest sends to its gateway 10.0.2.2:8080; Sluice maps it to the host's 127.0.0.1:8080.
        FlowFilter mapped = inline("deny", "tcp/127.0.0.0/8");
        FlowFilter original = inline("deny", "tcp/10.0.2.2:8080", "match", "original");
        FlowFilter perRule = inline("deny", "tcp/127.0.0.0/8@original,tcp/10.0.2.2@original");
        FlowAttempt toGateway = flow("tcp", "10.0.2.2", 8080, "127.0.0.1", 8080);
        assertEquals(Verdict.Kind.REJECT, mapped.decide(toGateway).kind());
        assertEquals(Verdict.Kind.REJECT, original.decide(toGateway).kind());
        assertEquals(Verdict.reject("rule 2: deny tcp/10.0.2.2@original"), perRule.decide(toGateway));
        assertEquals(Verdict.CONTINUE, inline("deny", "tcp/10.0.2.2").decide(toGateway));
    }

    @Test
    void grammarEdgeCases() throws Exception {
        FlowFilter f = inline("deny", "tcp/[fd00::1]:53,udp/[fd00::]/64:1-2,tcp/fd99::/16:any,any/10.0.0.1/32,tcp/any4:7");
        check(f, List.of(
                new Row("tcp", "fd00::1", 53, Verdict.Kind.REJECT, "rule 1: deny tcp/[fd00::1]:53"),
                new Row("tcp", "fd00::2", 53, Verdict.Kind.CONTINUE, null),
                new Row("udp", "fd00::2", 2, Verdict.Kind.REJECT, "rule 2: deny udp/[fd00::]/64:1-2"),
                new Row("tcp", "fd99:1::1", 9, Verdict.Kind.REJECT, "rule 3: deny tcp/fd99::/16:any"),
                new Row("icmp", "10.0.0.1", 0, Verdict.Kind.REJECT, "rule 4: deny any/10.0.0.1/32"),
                new Row("tcp", "1.2.3.4", 7, Verdict.Kind.REJECT, "rule 5: deny tcp/any4:7"),
                new Row("tcp", "fd01::", 7, Verdict.Kind.CONTINUE, null)));
    }

    @Test
    void badInlineRulesSayWhatIsWrong() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("allow=tcp", "option \"allow\": rule \"tcp\": expected PROTO/DEST[:PORTS], e.g. tcp/10.0.0.0/8:443");
        cases.put("allow=sctp/any", "option \"allow\": rule \"sctp/any\": \"sctp\" is not a protocol (tcp, udp, icmp, any)");
        cases.put("deny=tcp/10.0.0.0/33", "option \"deny\": rule \"tcp/10.0.0.0/33\": prefix length 33 is not between 0 and 32");
        cases.put("deny=tcp/10.1.0.0/8", "option \"deny\": rule \"tcp/10.1.0.0/8\": 10.1.0.0/8 has bits set past its prefix length");
        cases.put("deny=tcp/fd00::1:53", "option \"deny\": rule \"tcp/fd00::1:53\": write an IPv6 address with a prefix"
                + " length or in brackets (fd00::1/128, [fd00::1]:53)");
        cases.put("deny=tcp/example.com", "option \"deny\": rule \"tcp/example.com\": \"example.com\" is not an IPv4 or IPv6 address");
        cases.put("deny=udp/any:90-80", "option \"deny\": rule \"udp/any:90-80\": empty port range 90-80");
        cases.put("deny=udp/any:70000", "option \"deny\": rule \"udp/any:70000\": port 70000 is not between 0 and 65535");
        cases.put("deny=icmp/any:1", "option \"deny\": rule \"icmp/any:1\": icmp has no ports");
        cases.put("deny=tcp/any@guest", "option \"deny\": rule \"tcp/any@guest\": \"guest\" is not one of mapped, original");
        cases.put("refuse=tcp/any", "unknown option \"refuse\" (known options: allow, default, deny, drop, file, match,"
                + " pass; allow.N etc. for more groups)");
        cases.put("default=deny", "no rules: give file=PATH or allow=/deny=/drop=/pass= rules, e.g."
                + " rules:allow=tcp/10.0.0.0/8:443,default=deny");
        cases.put("default=reject", "option \"default\": \"reject\" is not one of allow, deny, drop, pass");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Map<String, String> opts = new LinkedHashMap<>();
            for (String kv : c.getKey().split("&")) {
                opts.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> RulesProvider.compileInline(PluginOptions.of(opts)), c.getKey()).getMessage();
            assertEquals(c.getValue(), msg, c.getKey());
        }
        assertEquals("unknown option \"allow\" (known options: file)", assertThrows(IllegalArgumentException.class,
                () -> inline("file", "/nonexistent", "allow", "tcp/any")).getMessage());
    }

    @Test
    void manyRulesStillDecideByTheLowestIndex() throws Exception {
        // 10 000 /32 rules, then a catch-all: every address hits its own rule, others the catch-all.
        StringBuilder deny = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            deny.append(i == 0 ? "" : ",").append("tcp/10.").append(i / 256 % 256).append('.').append(i % 256)
                    .append(".1:").append(1000 + i % 50);
        }
        FlowFilter f = inline("deny", deny.toString(), "allow", "tcp/10.0.0.0/8");
        check(f, List.of(
                new Row("tcp", "10.0.0.1", 1000, Verdict.Kind.REJECT, "rule 1: deny tcp/10.0.0.1:1000"),
                new Row("tcp", "10.39.15.1", 1000 + 9999 % 50, Verdict.Kind.REJECT, "rule 10000: deny tcp/10.39.15.1:1049"),
                new Row("tcp", "10.39.15.1", 1000, Verdict.Kind.ACCEPT, null),
                new Row("tcp", "10.200.0.1", 1000, Verdict.Kind.ACCEPT, null)));
    }

    @Test
    void ipv4AddressesAreReadWithoutACopyOnThisJdk() {
        // Not a correctness matter (the fallback is exact), but the bench's zero allocation depends on it.
        assertTrue(RuleSet.IPV4_HASH_IS_ADDRESS);
    }

    @Test
    void logsWhatItLoadedAndIsFoundByServiceLoader() {
        TestingFilterContext ctx = TestingFilterContext.builder().option("deny", "tcp/any:22").build();
        new RulesProvider().create(ctx);
        assertEquals(List.of("INFO 1 rules, default pass"), ctx.logLines());
        List<String> names = ServiceLoader.load(FlowFilterProvider.class).stream().map(p -> p.get().name()).toList();
        assertTrue(names.contains("rules"), names.toString());
    }
}
