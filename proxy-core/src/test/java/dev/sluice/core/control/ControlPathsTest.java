package dev.sluice.core.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ControlPathsTest {
    @Test
    void theDefaultIsPerUserAndNamedByPid() {
        Path p = ControlPaths.defaultPath(1234);
        assertEquals("1234.ctl", p.getFileName().toString());
        assertEquals(ControlPaths.defaultDir(), p.getParent());
        if (ControlPaths.uid() == 0) {
            assertEquals(Path.of("/run/sluice"), ControlPaths.defaultDir());
        }
    }

    @Test
    void thePrivateDirectoryIsMade0700AndOnlyOurs(@TempDir Path tmp) throws IOException {
        Path d = tmp.resolve("a/sluice");
        ControlPaths.ensurePrivateDir(d);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
        ControlPaths.ensurePrivateDir(d); // again: fine
        Path link = Files.createSymbolicLink(tmp.resolve("link"), d);
        assertTrue(assertThrows(IOException.class, () -> ControlPaths.ensurePrivateDir(link)).getMessage()
                .contains("not a directory"));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(IOException.class, () -> ControlPaths.ensurePrivateDir(file));
    }
}
