package dev.sluice.core.plugin;

import dev.sluice.api.SpiVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.pf4j.DefaultVersionManager;
import org.pf4j.VersionManager;

/**
 * What a plugin jar's manifest says of it, in pf4j's descriptor entries:
 * {@code Plugin-Id}, {@code Plugin-Version} (else {@code Implementation-Version})
 * and {@code Plugin-Requires}, the range of SPI versions it works with
 * ({@code >=1.0.0 & <2.0.0}; absent means any). For a directory plugin, the
 * first of its jars (by name) that has a {@code Plugin-Id} or
 * {@code Plugin-Requires} speaks for it.
 *
 * @param id       the Plugin-Id, or null
 * @param version  the Plugin-Version or Implementation-Version, or null
 * @param requires the Plugin-Requires, or null
 */
record PluginManifest(String id, String version, String requires) {
    private static final VersionManager VERSIONS = new DefaultVersionManager();

    static PluginManifest read(Path pluginPath) {
        List<Path> jars = Files.isDirectory(pluginPath) ? IsolatingPluginManager.jarsIn(pluginPath) : List.of(pluginPath);
        PluginManifest first = null;
        for (Path jar : jars) {
            PluginManifest m = readJar(jar);
            if (m.id != null || m.requires != null) {
                return m;
            }
            if (first == null) {
                first = m;
            }
        }
        return first == null ? new PluginManifest(null, null, null) : first;
    }

    private static PluginManifest readJar(Path jar) {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            if (m == null) {
                return new PluginManifest(null, null, null);
            }
            Attributes a = m.getMainAttributes();
            String version = blankToNull(a.getValue("Plugin-Version"));
            return new PluginManifest(blankToNull(a.getValue("Plugin-Id")),
                    version != null ? version : blankToNull(a.getValue("Implementation-Version")),
                    blankToNull(a.getValue("Plugin-Requires")));
        } catch (IOException e) {
            throw new UncheckedIOException("not a readable jar: " + jar, e);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /**
     * Refuses a plugin whose Plugin-Requires excludes this Sluice's SPI version.
     *
     * @throws PluginException naming the plugin, what it requires and what this Sluice provides
     */
    void requireCompatible(String origin) {
        if (requires == null || requires.equals("*")) {
            return;
        }
        String spi = SpiVersion.current();
        boolean ok;
        try {
            ok = VERSIONS.checkVersionConstraint(spi, requires);
        } catch (RuntimeException e) {
            throw new PluginException("plugin " + origin + describe() + ": Plugin-Requires \"" + requires
                    + "\" is not a version range (e.g. >=1.0.0 & <2.0.0)", e);
        }
        if (!ok) {
            throw new PluginException("plugin " + origin + describe() + " requires SPI " + requires
                    + " (Plugin-Requires) but this Sluice provides SPI " + spi);
        }
    }

    private String describe() {
        if (id == null && version == null) {
            return "";
        }
        return " (" + (id == null ? "" : "Plugin-Id " + id) + (id != null && version != null ? ", " : "")
                + (version == null ? "" : "Plugin-Version " + version) + ")";
    }
}
