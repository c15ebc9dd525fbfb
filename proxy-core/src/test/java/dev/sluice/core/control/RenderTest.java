package dev.sluice.core.control;

import dev.sluice.core.plugin.AuditEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static dev.sluice.core.control.Fixtures.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RenderTest {
    @Test
    void jsonEscapes() {
        assertEquals("{\"a\":\"q\\\"b\\\\s\\n\\u0001\",\"n\":5,\"x\":null,\"t\":true}",
                Json.object().put("a", "q\"b\\s\n\u0001").put("n", 5).put("x", (String) null).put("t", true).toString());
        assertEquals("[1,\"a\"]", Json.array(List.of("1", Json.string("a"))));
        assertEquals("{\"v6\":\"[fd77::50]:53\"}", Json.object().put("v6", sa("fd77::50", 53)).toString());
    }

    @Test
    void flowsTableIsAlignedWithOneLinePerFlow() {
        String t = Render.flowsText(List.of(Fixtures.tcpFlow(81, 1_048_576),
                new dev.sluice.core.flow.FlowInfo("udp", false, sa("fd77::50", 5353), sa("fd99::1", 53), sa("fd99::1", 53),
                        null, null, "DROPPED", 0, 0, 12_000, "rules", "drop")), false);
        List<String> lines = t.lines().toList();
        assertEquals(3, lines.size(), t);
        assertTrue(lines.get(0).startsWith("PROTO  GUEST"), t);
        int col = lines.get(0).indexOf("STATE");
        assertEquals("ESTABLISHED", lines.get(1).substring(col, col + 11), t);
        assertTrue(lines.get(1).contains("10.77.0.50:40312") && lines.get(1).contains("1048576")
                && lines.get(1).endsWith("-           accept"), t);
        assertTrue(lines.get(2).contains("[fd77::50]:5353") && lines.get(2).endsWith("rules       drop"), t);
        assertTrue(lines.get(2).contains(" 12s "), t);
    }

    @Test
    void flowJsonHasEveryField() {
        assertEquals("{\"proto\":\"tcp\",\"inbound\":false,\"guest\":\"10.77.0.50:40312\",\"remote\":\"10.99.0.1:8080\","
                + "\"mapped\":\"10.99.0.1:8080\",\"hostLocal\":\"10.77.0.1:51000\",\"hostRemote\":\"10.99.0.1:8080\","
                + "\"state\":\"ESTABLISHED\",\"bytesFromGuest\":81,\"bytesToGuest\":4096,\"ageMillis\":3200,"
                + "\"plugin\":null,\"verdict\":\"accept\"}\n", Render.flowJson(Fixtures.tcpFlow(81, 4096)));
    }

    @Test
    void statusNamesEverySection() {
        String s = Render.statusText(Fixtures.facts(Path.of("/run/sluice/4242.ctl")), Fixtures.snapshot(List.of()));
        assertTrue(s.startsWith("sluice 1.2.3, pid 4242, up 1m 23s\n"), s);
        for (String want : new String[] {"link:    tap tap0 in namespace g (guest attached)",
            "guest:   MAC 02:00:00:00:00:50", "IPv4   10.77.0.50/24 gateway 10.77.0.254, DHCP lease infinite, acks 1",
            "IPv6   fd77::50/64 router fe80::1", "seen   10.77.0.50", "flows:   tcp 1, udp 0, icmp 0",
            "no-map-host  accepted 0  rejected 2  dropped 0  errors 0\n",
            "guest-addr   accepted 5  rejected 0  dropped 0  errors 0  frames-dropped 1",
            "eth.not_for_us 3", "ndp.ra_sent 4"}) {
            assertTrue(s.contains(want), want + "\n" + s);
        }
        assertFalse(s.contains("tcp.opened"), "flow counters are for metrics: " + s);
        String j = Render.statusJson(Fixtures.facts(Path.of("/x")), Fixtures.snapshot(List.of()));
        assertTrue(j.contains("\"plugins\":[{\"plugin\":\"no-map-host\",\"accepted\":0,\"rejected\":2,"), j);
        assertTrue(j.contains("\"uptimeSeconds\":83"), j);
        assertEquals(1, j.lines().count());
    }

    @Test
    void auditLines() {
        AuditEvent e = new AuditEvent(Fixtures.START, "REJECT", "tcp", sa("10.77.0.50", 40000), sa("10.77.0.254", 22),
                sa("127.0.0.1", 22), 0, "no-map-host", "destination 127.0.0.1 is \"local\"", 2);
        assertEquals("2025-12-03T11:40:00Z REJECT proto=tcp src=10.77.0.50:40000 dst=10.77.0.254:22 "
                + "mapped=127.0.0.1:22 plugin=no-map-host reason=\"destination 127.0.0.1 is \\\"local\\\"\" suppressed=2\n",
                Render.auditText(e));
        assertEquals("{\"time\":\"2025-12-03T11:40:00Z\",\"action\":\"REJECT\",\"proto\":\"tcp\",\"src\":\"10.77.0.50:40000\","
                + "\"dst\":\"10.77.0.254:22\",\"mapped\":\"127.0.0.1:22\",\"plugin\":\"no-map-host\","
                + "\"reason\":\"destination 127.0.0.1 is \\\"local\\\"\",\"suppressed\":2}\n", Render.auditJson(e));
        AuditEvent f = new AuditEvent(Fixtures.START, "DROP", "frame", null, null, null, 0x0200_0000_0060L, "guest-addr",
                "not the guest's", 0);
        assertTrue(Render.auditJson(f).contains("\"srcMac\":\"02:00:00:00:00:60\""));
    }

    @Test
    void prometheusTextParses() {
        String text = Prometheus.render(Fixtures.facts(Path.of("/x")), Fixtures.snapshot(List.of()));
        Map<String, Double> m = PromText.parse(text);
        assertEquals(2.0, m.get("sluice_plugin_flows_total{plugin=\"no-map-host\",verdict=\"rejected\"}"), text);
        assertEquals(1.0, m.get("sluice_plugin_frames_dropped_total{plugin=\"guest-addr\"}"), text);
        assertEquals(3.0, m.get("sluice_events_total{counter=\"eth.not_for_us\"}"), text);
        assertEquals(83.0, m.get("sluice_uptime_seconds"), text);
        assertEquals(1.0, m.get("sluice_flows{proto=\"tcp\"}"), text);
        assertFalse(text.contains("counter=\"plugin."), "plugin counters have their own family: " + text);
        assertEquals("a\\\\b\\\"c\\nd", Prometheus.label("a\\b\"c\nd"));
    }

    @Test
    void thePrometheusParserCatchesFaults() {
        assertThrows(IllegalArgumentException.class, () -> PromText.parse("x 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PromText.parse("# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PromText.parse("# HELP x h\n# TYPE x gauge\nx one\n"));
        assertThrows(IllegalArgumentException.class, () -> PromText.parse("# HELP x_total h\n# TYPE x_total counter\n"
                + "x_total 1\n# HELP y h\n# TYPE y gauge\ny 1\nx_total{a=\"b\"} 2\n"));
        assertEquals(Map.of("x{a=\"q\\\"\"}", 1.0), PromText.parse("# HELP x h\n# TYPE x gauge\nx{a=\"q\\\"\"} 1\n"));
    }
}
