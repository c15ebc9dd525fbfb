package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.Counters;
import dev.sluice.core.flow.FlowProtocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditLogTest {
    private static final long SECOND = 1_000_000_000L;
    private final List<String> lines = new ArrayList<>();
    private final Counters counters = new Counters();
    private long now = 123 * SECOND;

    private AuditLog log(int burst, int maxKeys) {
        return new AuditLog(lines::add, counters, burst, 10 * SECOND, () -> now, maxKeys);
    }

    private static void reject(AuditLog a, String plugin, int port) {
        a.record("REJECT", FlowProtocol.TCP, sa("10.0.2.15", 40000), sa("93.184.216.34", port),
                sa("93.184.216.34", port), plugin, "port " + port);
    }

    @Test
    void burstThenOnePerIntervalWithSuppressedCount() {
        AuditLog a = log(3, 100);
        for (int i = 0; i < 10; i++) {
            reject(a, "p", 22);
        }
        assertEquals(3, lines.size());
        assertEquals(7, a.suppressedTotal());
        now += 10 * SECOND; // one token back
        reject(a, "p", 22);
        reject(a, "p", 22);
        assertEquals(4, lines.size());
        assertTrue(lines.get(3).endsWith("reason=\"port 22\" suppressed=7"), lines.get(3));
        assertEquals(8, a.suppressedTotal());
        assertEquals(8L, counters.snapshot().get("chain.audit-suppressed"));
        now += 3600 * SECOND; // refill caps at the burst
        for (int i = 0; i < 5; i++) {
            reject(a, "p", 22);
        }
        assertEquals(7, lines.size());
        assertTrue(lines.get(4).endsWith("suppressed=1"), lines.get(4));
    }

    @Test
    void keysAreIndependentPerPluginAndDestination() {
        AuditLog a = log(1, 100);
        reject(a, "p", 22);
        reject(a, "p", 22);
        reject(a, "p", 23);
        reject(a, "q", 22);
        assertEquals(3, lines.size());
        assertEquals(1, a.suppressedTotal());
    }

    @Test
    void tableIsBoundedAndFlushReportsPending() {
        AuditLog a = log(1, 2);
        reject(a, "p", 1);
        reject(a, "p", 1); // suppressed
        reject(a, "p", 2);
        reject(a, "p", 2); // suppressed
        reject(a, "p", 3); // evicts port 1, the least recently used
        assertEquals(3, lines.size());
        a.flush(); // port 1's held-back line is gone with its bucket (it stays in the total)
        assertEquals(List.of("SUPPRESSED plugin=p dst=93.184.216.34:2 suppressed=1"), lines.subList(3, 4));
        assertEquals(2, a.suppressedTotal());
        reject(a, "p", 1); // a new bucket: written at once
        assertEquals(5, lines.size());
        a.flush();
        assertEquals(5, lines.size());
    }

    @Test
    void reasonStaysOnOneLine() {
        AuditLog a = log(5, 10);
        a.record("DROP", FlowProtocol.ICMP, sa("10.0.2.15", 7), sa("10.99.0.1", 0), sa("10.99.0.1", 0), "p",
                "two\nlines \"quoted\" \\ " + "x".repeat(300));
        String l = lines.get(0);
        assertTrue(l.startsWith("DROP proto=icmp src=10.0.2.15:7 dst=10.99.0.1:0 mapped=10.99.0.1:0 plugin=p"
                + " reason=\"two\\x0alines \\\"quoted\\\" \\\\ xxx"), l);
        assertTrue(l.endsWith("x...\""), l);
        assertEquals(-1, l.indexOf('\n'));
    }

    @Test
    void framesAreRateLimitedPerPluginAndMacAndFlushed() {
        AuditLog a = log(2, 100);
        List<Long> asked = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            a.recordFrame("DROP", "p", 0x020000000060L, m -> {
                asked.add(m);
                return "not \"ours\"";
            });
        }
        a.recordFrame("DROP", "p", 0x020000000061L, m -> "other");
        a.recordFrame("DROP", "q", 0x020000000060L, m -> "other plugin");
        // a flow line for the same plugin keeps its own bucket
        reject(a, "p", 22);
        assertEquals(List.of(
                "DROP frame src=02:00:00:00:00:60 plugin=p reason=\"not \\\"ours\\\"\"",
                "DROP frame src=02:00:00:00:00:60 plugin=p reason=\"not \\\"ours\\\"\"",
                "DROP frame src=02:00:00:00:00:61 plugin=p reason=\"other\"",
                "DROP frame src=02:00:00:00:00:60 plugin=q reason=\"other plugin\""), lines.subList(0, 4));
        assertEquals(5, lines.size());
        assertEquals(List.of(0x020000000060L, 0x020000000060L), asked, "the reason is built only for written lines");
        assertEquals(3, a.suppressedTotal());
        now += 10 * SECOND;
        a.recordFrame("DROP", "p", 0x020000000060L, m -> "again");
        assertTrue(lines.get(5).endsWith("reason=\"again\" suppressed=3"), lines.get(5));
        a.recordFrame("DROP", "p", 0x020000000060L, m -> "again");
        a.flush();
        assertEquals("SUPPRESSED frame plugin=p src=02:00:00:00:00:60 suppressed=1", lines.get(lines.size() - 1));
    }
}
