package dev.sluice.plugins.denyport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class DenyPortProviderTest {
    private static FlowAttempt flow(Protocol p, String dst, int port) throws UnknownHostException {
        InetSocketAddress d = new InetSocketAddress(InetAddress.getByName(dst), port);
        return new FlowAttempt(p, new InetSocketAddress(InetAddress.getByName("10.0.2.15"), 40000), d, d);
    }

    private static FlowFilter filter(String... kv) {
        TestingFilterContext.Builder b = TestingFilterContext.builder();
        for (int i = 0; i < kv.length; i += 2) {
            b.option(kv[i], kv[i + 1]);
        }
        return new DenyPortProvider().create(b.build());
    }

    private static String error(String... kv) {
        return assertThrows(IllegalArgumentException.class, () -> filter(kv)).getMessage();
    }

    @Test
    void rejectsListedPortsByDefault() throws Exception {
        FlowFilter f = filter("ports", "22,2222");
        assertEquals(Verdict.reject("destination port 22 is denied"), f.decide(flow(Protocol.TCP, "10.99.0.1", 22)));
        assertEquals(Verdict.reject("destination port 2222 is denied"), f.decide(flow(Protocol.UDP, "fd99::1", 2222)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.99.0.1", 80)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.ICMP, "10.99.0.1", 0)));
    }

    @Test
    void dropModeAndRanges() throws Exception {
        FlowFilter f = filter("ports", "6000-6010, 53", "mode", "DROP");
        assertEquals(Verdict.drop("destination port 6005 is denied"), f.decide(flow(Protocol.TCP, "10.99.0.1", 6005)));
        assertEquals(Verdict.drop("destination port 53 is denied"), f.decide(flow(Protocol.UDP, "10.99.0.1", 53)));
        assertEquals(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.99.0.1", 6011)));
    }

    @Test
    void logsWhatItRefuses() {
        TestingFilterContext ctx = TestingFilterContext.builder().option("ports", "22,6000-6010,6011").build();
        new DenyPortProvider().create(ctx);
        assertEquals(List.of("INFO refusing destination ports 22, 6000-6011 (reject)"), ctx.logLines());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertEquals("option \"ports\" is required, e.g. ports=22,2222", error());
        assertEquals("option \"ports\" is required, e.g. ports=22,2222", error("mode", "drop"));
        assertEquals("unknown option \"port\" (known options: mode, ports)", error("port", "22"));
        assertEquals("option \"ports\": \"ssh\" is not a number", error("ports", "ssh"));
        assertEquals("option \"ports\": 0 is not between 1 and 65535", error("ports", "0"));
        assertEquals("option \"ports\": 70000 is not between 1 and 65535", error("ports", "22,70000"));
        assertEquals("option \"ports\": empty range 30-20", error("ports", "30-20"));
        assertEquals("option \"ports\": empty item in \"22,\"", error("ports", "22,"));
        assertEquals("option \"mode\": \"deny\" is not one of drop, reject", error("ports", "22", "mode", "deny"));
    }

    @Test
    void isFoundByServiceLoader() {
        List<String> names = ServiceLoader.load(FlowFilterProvider.class).stream()
                .map(p -> p.get().name()).toList();
        assertTrue(names.contains("deny-port"), names.toString());
        assertEquals(2, new DenyPortProvider().options().size());
    }
}
