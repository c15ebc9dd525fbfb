package dev.sluice.plugins.vmisolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {
    @TempDir
    Path tmp;

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void publishWritesOneWholeFileAndNoTemporary() throws Exception {
        Registry r = new Registry(tmp.resolve("a/b"));
        RegistryEntry e = new RegistryEntry("sluice-1", 1, 5, null, List.of(new PortForward(Protocol.TCP, null, 8022)));
        Path p = r.publish("sluice-1.abc.fwd", e);
        assertEquals(List.of("sluice-1.abc.fwd"), names(tmp.resolve("a/b")));
        assertEquals(e, RegistryEntry.parse(Files.readString(p)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("a/b"))));
        // Publishing again replaces the entry in one step.
        RegistryEntry e2 = new RegistryEntry("sluice-1", 1, 5, null, List.of());
        r.publish("sluice-1.abc.fwd", e2);
        assertEquals(List.of("sluice-1.abc.fwd"), names(tmp.resolve("a/b")));
        assertEquals(e2, RegistryEntry.parse(Files.readString(p)));
    }

    @Test
    void scanReadsEntriesSkipsOwnHiddenAndOtherFilesAndReportsBadOnes() throws Exception {
        Registry r = new Registry(tmp);
        RegistryEntry a = new RegistryEntry("a", 11, -1, null, List.of(new PortForward(Protocol.UDP, null, 53)));
        Path own = r.publish("own.1.fwd", new RegistryEntry("own", 12, -1, null, List.of()));
        r.publish("a.1.fwd", a);
        Files.writeString(tmp.resolve(".b.2.fwd.tmp"), "half");
        Files.writeString(tmp.resolve(".c.fwd"), "hidden");
        Files.writeString(tmp.resolve("notes.txt"), "not an entry");
        Files.writeString(tmp.resolve("bad.3.fwd"), "version=1\nid=bad\n");
        List<Registry.Found> found = r.scan(own);
        assertEquals(2, found.size(), found.toString());
        Registry.Found fa = found.stream().filter(f -> f.file().endsWith("a.1.fwd")).findFirst().orElseThrow();
        assertEquals(a, fa.entry());
        Registry.Found bad = found.stream().filter(f -> f.file().endsWith("bad.3.fwd")).findFirst().orElseThrow();
        assertNull(bad.entry());
        assertEquals("no pid", bad.error());
    }

    @Test
    void fileNamesAreSafeAndUnique() {
        String n1 = Registry.fileName("sluice-1234");
        String n2 = Registry.fileName("sluice-1234");
        assertTrue(n1.matches("sluice-1234\\.[0-9a-f]+\\.fwd"), n1);
        assertTrue(!n1.equals(n2));
        assertTrue(Registry.fileName("../x y/z").matches("___x_y_z\\.[0-9a-f]+\\.fwd"), Registry.fileName("../x y/z"));
        assertTrue(Registry.fileName("").startsWith("instance."));
    }
}
