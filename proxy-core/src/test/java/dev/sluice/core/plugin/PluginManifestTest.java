package dev.sluice.core.plugin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.api.SpiVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginManifestTest {
    @TempDir
    Path tmp;

    /** A jar holding only a manifest: the SPI check comes before any class is loaded. */
    static Path jar(Path jar, Map<String, String> entries) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        entries.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        Files.createDirectories(jar.getParent());
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m)) {
            out.flush();
        }
        return jar;
    }

    private static Map<String, String> pf4j(String id, String version, String requires) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Plugin-Id", id);
        m.put("Plugin-Version", version);
        m.put("Plugin-Requires", requires);
        return m;
    }

    @Test
    void readsPf4jEntriesWithImplementationVersionAsFallback() throws IOException {
        assertEquals(new PluginManifest("x", "2.1", ">=1.0.0"),
                PluginManifest.read(jar(tmp.resolve("a.jar"), pf4j("x", "2.1", ">=1.0.0"))));
        assertEquals(new PluginManifest(null, "0.9", null),
                PluginManifest.read(jar(tmp.resolve("b.jar"), Map.of("Implementation-Version", "0.9"))));
        // A directory plugin: its jar with a descriptor speaks for it, whatever its name's order.
        Path dir = tmp.resolve("d");
        jar(dir.resolve("a-lib.jar"), Map.of("Implementation-Version", "3"));
        jar(dir.resolve("b-plugin.jar"), pf4j("d", "1.2", "*"));
        assertEquals(new PluginManifest("d", "1.2", "*"), PluginManifest.read(dir));
    }

    @Test
    void anIncompatibleJarIsRefusedNamingBothVersions() throws IOException {
        Path dir = tmp.resolve("plugins");
        Path bad = jar(dir.resolve("future.jar"), pf4j("future", "2.0.0", ">=2.0.0 & <3.0.0"));
        PluginException e = assertThrows(PluginException.class, () -> PluginCatalog.discover(List.of(dir)));
        assertEquals("plugin " + bad + " (Plugin-Id future, Plugin-Version 2.0.0) requires SPI >=2.0.0 & <3.0.0"
                + " (Plugin-Requires) but this Sluice provides SPI " + SpiVersion.current(), e.getMessage());
    }

    @Test
    void compatibleRangesAndMalformedOnes() throws IOException {
        for (String ok : new String[] {">=1.0.0 & <2.0.0", "*", ">=" + SpiVersion.current(), "1.x"}) {
            assertDoesNotThrow(() -> new PluginManifest("p", "1", ok).requireCompatible("p.jar"), ok);
        }
        for (String no : new String[] {"<1.0.0", ">=1.1.0 & <2.0.0", "2.x"}) {
            assertThrows(PluginException.class, () -> new PluginManifest("p", "1", no).requireCompatible("p.jar"), no);
        }
        PluginException e = assertThrows(PluginException.class,
                () -> new PluginManifest(null, null, "banana").requireCompatible("p.jar"));
        assertEquals("plugin p.jar: Plugin-Requires \"banana\" is not a version range (e.g. >=1.0.0 & <2.0.0)",
                e.getMessage());
    }
}
