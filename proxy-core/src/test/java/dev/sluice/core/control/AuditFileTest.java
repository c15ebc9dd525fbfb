package dev.sluice.core.control;

import dev.sluice.core.plugin.AuditEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.sluice.core.control.Fixtures.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditFileTest {
    private static AuditEvent event(int i) {
        return new AuditEvent(Fixtures.START + 100 + i, "DROP", "udp", sa("10.77.0.50", 1000 + i), sa("10.99.0.1", 53),
                sa("10.99.0.1", 53), 0, "rules", String.format("event %02d", i), 0);
    }

    @Test
    void jsonLinesRotatedBySizeKeepingTheNewestFiles(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("audit.jsonl");
        int lineLength = Render.auditJson(event(0)).length();
        try (AuditFile a = new AuditFile(f, lineLength * 10L, 2)) {
            for (int i = 0; i < 45; i++) {
                assertTrue(a.offer(event(i)));
            }
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        List<String> current = Files.readAllLines(f);
        List<String> one = Files.readAllLines(dir.resolve("audit.jsonl.1"));
        List<String> two = Files.readAllLines(dir.resolve("audit.jsonl.2"));
        assertFalse(Files.exists(dir.resolve("audit.jsonl.3")));
        assertEquals(5, current.size(), current.toString());
        assertEquals(10, one.size());
        assertEquals(10, two.size());
        assertTrue(two.get(0).contains("\"reason\":\"event 20\""), two.get(0));
        assertTrue(current.get(4).contains("\"reason\":\"event 44\""), current.get(4));
        for (String l : current) {
            assertTrue(l.startsWith("{\"time\":\"2025-12-03T11:40:00.14") && l.endsWith("}"), l);
        }
    }

    @Test
    void appendsToAnExistingFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.jsonl");
        Files.writeString(f, "{\"old\":1}\n");
        try (AuditFile a = new AuditFile(f, 1 << 20, 5)) {
            a.offer(event(1));
        }
        List<String> lines = Files.readAllLines(f);
        assertEquals(2, lines.size());
        assertEquals("{\"old\":1}", lines.get(0));
    }
}
