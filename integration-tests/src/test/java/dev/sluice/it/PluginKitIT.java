package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The plugin kit as a third party uses it: the example plugin's sources
 * ({@code plugins/deny-port}) compiled here against the distribution's
 * {@code lib/sluice-plugin-api-*.jar} alone, jarred with pf4j's manifest
 * entries, and loaded from a plugins directory; the same jar declaring an
 * SPI range that excludes this Sluice is refused at startup (exit 2) with a
 * message naming both versions. {@code --plugin-dir none} keeps the
 * distribution's own deny-port out, so the names do not clash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PluginKitIT {
    private Path classes;
    private Path work;

    @BeforeAll
    void buildTheExample() throws IOException {
        work = Files.createTempDirectory(SluiceProcess.workDir(), "kit-");
        Path module = Path.of(System.getProperty("sluice.plugins.src", "../plugins"), "deny-port");
        List<String> sources;
        try (Stream<Path> s = Files.walk(module.resolve("src/main/java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
        }
        assertTrue(!sources.isEmpty(), "no sources under " + module);
        classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK (javax.tools)");
        List<String> args = new ArrayList<>(List.of("--release", "17", "-proc:none", "-d", classes.toString(),
                "-classpath", TestPlugins.spiJar().toString()));
        args.addAll(sources);
        assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "javac failed");
        Path resources = module.resolve("src/main/resources");
        try (Stream<Path> s = Files.walk(resources)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Path to = classes.resolve(resources.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
    }

    private Path jar(Path jar, String requires) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.IMPLEMENTATION_VERSION, "1.0.0");
        a.putValue("Plugin-Id", "acme-deny-port");
        a.putValue("Plugin-Version", "1.0.0");
        a.putValue("Plugin-Requires", requires);
        Files.createDirectories(jar.getParent());
        List<Path> files;
        try (Stream<Path> s = Files.walk(classes)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m)) {
            for (Path f : files) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    private static Cmd.Result sluice(String... args) {
        List<String> argv = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString()));
        argv.addAll(List.of(args));
        return Cmd.run(60, argv);
    }

    @Test
    void anExternalBuildOfTheExampleLoadsFromAPluginsDirectory() throws IOException {
        Path dir = work.resolve("ok");
        Path jar = jar(dir.resolve("acme-deny-port.jar"), ">=1.0.0 & <2.0.0");
        Cmd.Result r = sluice("--plugin-dir", "none", "--plugin-dir", dir.toString(), "--list-plugins").ok();
        assertTrue(r.out().contains("deny-port 1.0.0  (" + jar + ")"), r.out());
        // The bundled plugins are left out by "none", and back (alongside) without it: here they clash by name.
        assertTrue(!r.out().contains("no-map-host"), r.out());
        Cmd.Result both = sluice("--plugin-dir", dir.toString(), "--list-plugins");
        assertEquals(2, both.exit(), both.out());
        assertTrue(both.out().contains("two plugins are named \"deny-port\""), both.out());
    }

    @Test
    void aJarForAnotherSpiIsRefusedNamingBothVersions() throws IOException {
        Path dir = work.resolve("future");
        Path jar = jar(dir.resolve("acme-deny-port.jar"), ">=2.0.0 & <3.0.0");
        Cmd.Result r = sluice("--plugin-dir", "none", "--plugin-dir", dir.toString(), "--list-plugins");
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("plugin " + jar + " (Plugin-Id acme-deny-port, Plugin-Version 1.0.0) requires SPI"
                + " >=2.0.0 & <3.0.0 (Plugin-Requires) but this Sluice provides SPI 1."), r.out());
    }
}
