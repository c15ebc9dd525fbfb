package dev.sluice.plugins.rules;

import static dev.sluice.plugins.rules.RulesProviderTest.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowFilter;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesFileTest {
    @TempDir
    Path dir;

    private static final String GOOD = """
            # web only, to the lab
            default drop
            allow tcp/10.99.0.0/24:80   # the lab's web server
            match original
            deny  udp/any:53
            """;

    private TestingFilterContext ctx(Path file) {
        return TestingFilterContext.builder().option("file", file.toString()).build();
    }

    @Test
    void fileStatementsAndComments() throws Exception {
        Path file = Files.writeString(dir.resolve("rules"), GOOD);
        TestingFilterContext ctx = ctx(file);
        try (FlowFilter f = new RulesProvider().create(ctx)) {
            assertEquals(Verdict.ACCEPT, f.decide(flow("tcp", "10.99.0.1", 80, null, 0)));
            assertEquals(Verdict.reject("line 5 of " + file + ": deny udp/any:53"),
                    f.decide(flow("udp", "10.0.2.3", 53, "127.0.0.1", 53)));
            assertEquals(Verdict.drop("no rule matched: default drop"), f.decide(flow("tcp", "10.99.0.1", 81, null, 0)));
            assertEquals("INFO loaded 2 rules from " + file + ", default drop", ctx.logLines().get(0));
        }
    }

    @Test
    void badFilesNameTheLine() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("allow tcp/any\nallow tcp/any:x\n", ":2: rule \"tcp/any:x\": \"x\" is not a port");
        cases.put("\n\nreject tcp/any\n", ":3: \"reject\" is not one of allow, deny, drop, pass");
        cases.put("allow tcp/any extra\n", ":1: expected two words (ACTION RULE, default ACTION or match mapped|original), got 3");
        cases.put("default deny\ndefault allow\n", ":2: a second default line");
        cases.put("match both\n", ":1: \"both\" is not one of mapped, original");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> RuleParser.parseFile("f", c.getKey(), Rule.Action.PASS)).getMessage();
            assertEquals("f" + c.getValue(), msg, c.getKey());
        }
        String missing = assertThrows(IllegalArgumentException.class,
                () -> new RulesProvider().create(ctx(dir.resolve("absent")))).getMessage();
        assertTrue(missing.startsWith("option \"file\": cannot read " + dir.resolve("absent")), missing);
    }

    @Test
    void reloadSwapsValidFilesAndKeepsTheOldRulesOnABadOne() throws Exception {
        Path file = Files.writeString(dir.resolve("rules"), "deny tcp/any:22\n");
        TestingFilterContext ctx = ctx(file);
        RulesFilter f = (RulesFilter) new RulesProvider().create(ctx);
        try {
            Files.writeString(file, "deny tcp/any:23\n");
            assertTrue(f.reload());
            assertEquals(Verdict.Kind.CONTINUE, f.decide(flow("tcp", "10.99.0.1", 22, null, 0)).kind());
            assertEquals(Verdict.Kind.REJECT, f.decide(flow("tcp", "10.99.0.1", 23, null, 0)).kind());

            Files.writeString(file, "deny tcp/any:24\nthis is not a rule\n");
            assertFalse(f.reload());
            assertEquals(Verdict.Kind.REJECT, f.decide(flow("tcp", "10.99.0.1", 23, null, 0)).kind());
            assertTrue(ctx.logLines().contains("WARN " + file + ":2: expected two words (ACTION RULE, default ACTION"
                    + " or match mapped|original), got 5; keeping the 1 rules loaded before"), ctx.logLines().toString());

            Files.delete(file);
            assertFalse(f.reload());
            assertEquals(Verdict.Kind.REJECT, f.decide(flow("tcp", "10.99.0.1", 23, null, 0)).kind());
        } finally {
            f.close();
        }
    }

    @Test
    void theWatcherSeesWritesAndRenames() throws Exception {
        Path file = Files.writeString(dir.resolve("rules"), "deny tcp/any:22\n");
        try (FlowFilter f = new RulesProvider().create(ctx(file))) {
            Files.writeString(file, "deny tcp/any:23\n");
            assertTrue(waitFor(f, 23));
            Path next = Files.writeString(dir.resolve("rules.new"), "deny tcp/any:24\n");
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(waitFor(f, 24));
        }
    }

    /** Bounded: up to 10 s (the mtime check alone would see it within about a second). */
    private static boolean waitFor(FlowFilter f, int deniedPort) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (f.decide(flow("tcp", "10.99.0.1", deniedPort, null, 0)).kind() == Verdict.Kind.REJECT) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
