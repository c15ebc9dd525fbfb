package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The bundled rules plugin with a rules file that changes under a live
 * Sluice (tap mode in g): the next flow follows the new rules, and a broken
 * file keeps the old ones. Servers on 7101 and 7102 in lan, so a refusal can
 * only come from the rules.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RulesPluginIT {
    /** curl's exit status for "connection refused" (a deny rule's RST). */
    private static final int REFUSED = 7;

    private Topology topo;
    private final Background bg = new Background();
    private SluiceProcess sluice;
    private Path rules;
    private Path dir;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        dir = Files.createTempDirectory(SluiceProcess.workDir(), "rules-");
        // the rules file is re-read after Sluice has left root: it must be readable by nobody,
        // as an operator's /etc/sluice/rules is
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("ok"), "ok\n");
        for (int port : new int[] {7101, 7102}) {
            bg.start(topo.lan, "busybox httpd -f -p " + port + " -h " + www);
        }
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':7102 '"), Cmd.shIn(topo.lan, 10, "ss -tln").out());
        rules = write("deny tcp/10.99.0.0/24:7101\nallow tcp/any\n");
        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "--plugin", "rules:file=" + rules);
        assertTrue(sluice.log().contains("loaded 2 rules from " + rules), sluice.log());
        assertTrue(Guest.await(topo.g, 20, "ip addr show dev tap0 | grep -q 'inet 10.'"),
                Cmd.shIn(topo.g, 10, "ip addr").out() + sluice.log());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            bg.close();
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
        }
    }

    /** Writes the rules file as tools should: a new file renamed over the old one. */
    private Path write(String content) throws Exception {
        Path target = dir.resolve("rules");
        Path next = Files.writeString(dir.resolve("rules.next"), content);
        Files.setPosixFilePermissions(next, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(next, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    private int curl(int port) {
        return Cmd.shIn(topo.g, 40, "curl -sS -o /dev/null --connect-timeout 10 --max-time 20 http://10.99.0.1:"
                + port + "/ok").exit();
    }

    @Test
    void aChangedFileDecidesTheNextFlowAndABrokenOneKeepsTheOldRules() throws Exception {
        assertEquals(REFUSED, curl(7101), sluice.log());
        assertEquals(0, curl(7102), sluice.log());
        assertTrue(sluice.awaitLog("reason=\"line 1 of " + rules + ": deny tcp/10.99.0.0/24:7101\"", 10), sluice.log());

        // Swap the ports: the watcher loads the new file; the next flows follow it.
        write("deny tcp/10.99.0.0/24:7102\nallow tcp/any\n");
        assertTrue(awaitLoads(2), sluice.log());
        assertEquals(0, curl(7101), sluice.log());
        assertEquals(REFUSED, curl(7102), sluice.log());

        // A broken file: logged with its line, and the rules of the last good file stay.
        write("deny tcp/10.99.0.0/24:7101\nallow tcp/any:http\n");
        assertTrue(sluice.awaitLog(rules + ":2: rule \"tcp/any:http\": \"http\" is not a port; keeping the 2 rules"
                + " loaded before", 15), sluice.log());
        assertEquals(0, curl(7101), sluice.log());
        assertEquals(REFUSED, curl(7102), sluice.log());
    }

    /** Waits (up to 15 s) until "loaded ... rules" has been logged {@code n} times: the startup load and the reloads. */
    private boolean awaitLoads(int n) throws InterruptedException {
        for (int i = 0; i < 150; i++) {
            if (sluice.log().split("loaded 2 rules from ", -1).length - 1 >= n) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
