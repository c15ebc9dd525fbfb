package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowFilterProvider;
import dev.sluice.core.Counters;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin jars built at test time (never on the test class path) and loaded
 * through pf4j in their own class loaders.
 */
class PluginCatalogTest {
    /** A provider that reports, through its reject reason, what its class loader lets it see. */
    private static final String TINY = """
            package PKG;

            import dev.sluice.api.*;

            public final class TinyProvider implements FlowFilterProvider {
                public String name() { return "NAME"; }
                public String description() { return "a tiny test plugin"; }
                public java.util.List<OptionInfo> options() {
                    return java.util.List.of(new OptionInfo("ports", "LIST", "ports"));
                }
                public FlowFilter create(FilterContext ctx) {
                    ctx.options().requireKnown("ports");
                    return flow -> Verdict.reject(Helper.report(TinyProvider.class));
                }
            }
            """;
    /** In a package of its own so that a directory plugin can keep it in a second jar. */
    private static final String HELPER = """
            package helper;

            public final class Helper {
                public static String report(Class<?> c) {
                    return "core=" + visible(c, "dev.sluice.core.Counters")
                            + " slf4j=" + visible(c, "org.slf4j.Logger")
                            + " pf4j=" + visible(c, "org.pf4j.PluginManager")
                            + " netty=" + visible(c, "io.netty.buffer.ByteBuf")
                            + " tccl=" + (Thread.currentThread().getContextClassLoader() == c.getClassLoader());
                }
                static boolean visible(Class<?> c, String name) {
                    try {
                        Class.forName(name, false, c.getClassLoader());
                        return true;
                    } catch (ClassNotFoundException e) {
                        return false;
                    }
                }
            }
            """;

    @TempDir
    static Path build;
    private static Path tinyClasses;
    private static Path otherClasses;
    private static Path cpClashClasses;

    @TempDir
    Path tmp;

    @BeforeAll
    static void compile() throws IOException {
        tinyClasses = compile("tiny", "tiny.plugin", "tiny");
        otherClasses = compile("other", "other.plugin", "tiny");
        cpClashClasses = compile("clash", "clash.plugin", "cp-test");
    }

    private static Path compile(String dir, String pkg, String name) throws IOException {
        Path src = build.resolve(dir + "-src");
        Path out = build.resolve(dir + "-classes");
        Files.createDirectories(src.resolve(pkg.replace('.', '/')));
        Files.createDirectories(src.resolve("helper"));
        Files.createDirectories(out);
        Path provider = src.resolve(pkg.replace('.', '/')).resolve("TinyProvider.java");
        Files.writeString(provider, TINY.replace("PKG", pkg).replace("NAME", name)
                .replace("import dev.sluice.api.*;", "import dev.sluice.api.*;\nimport helper.Helper;"));
        Path helper = src.resolve("helper/Helper.java");
        Files.writeString(helper, HELPER);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "-proc:none", "-d", out.toString(),
                "-classpath", spiLocation().toString(), provider.toString(), helper.toString());
        assertEquals(0, rc, "javac failed");
        Path services = out.resolve(PluginCatalog.SERVICES_ENTRY);
        Files.createDirectories(services.getParent());
        Files.writeString(services, "# test plugin\n" + pkg + ".TinyProvider\n");
        return out;
    }

    private static Path spiLocation() {
        try {
            return Path.of(FlowFilterProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes a jar of the files under {@code classes} whose relative path passes {@code filter}. */
    private static Path jar(Path jar, Path classes, String version, java.util.function.Predicate<String> filter)
            throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (version != null) {
            m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
        }
        Files.createDirectories(jar.getParent());
        List<Path> files;
        try (Stream<Path> s = Files.walk(classes)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m)) {
            for (Path f : files) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                if (filter.test(name)) {
                    out.putNextEntry(new JarEntry(name));
                    out.write(Files.readAllBytes(f));
                    out.closeEntry();
                }
            }
        }
        return jar;
    }

    private static Path jar(Path jar, Path classes, String version) throws IOException {
        return jar(jar, classes, version, n -> true);
    }

    private static GateDecision decide(FilterChain c) {
        return c.decide(FlowProtocol.TCP, sa("10.77.0.50", 40000), sa("10.99.0.1", 80), sa("10.99.0.1", 80));
    }

    @Test
    void loadsAJarInAnIsolatedClassLoader() throws Exception {
        Path dir = tmp.resolve("plugins");
        Path jar = jar(dir.resolve("sluice-plugin-tiny-1.2.3.jar"), tinyClasses, "1.2.3");
        Files.writeString(dir.resolve("README.txt"), "not a plugin");
        try (PluginCatalog catalog = PluginCatalog.discover(List.of(dir))) {
            PluginInfo info = catalog.info("tiny").orElseThrow();
            assertEquals(jar.toString(), info.origin());
            assertEquals("1.2.3", info.version()); // FlowFilterProvider.version()'s default, from the manifest
            assertEquals("a tiny test plugin", info.description());
            assertEquals("tiny.plugin.TinyProvider", info.className());
            assertEquals(List.of("cp-test", "tiny"), List.copyOf(catalog.names()));

            ClassLoader pluginLoader = catalog.entry("tiny").loader();
            assertNotSame(getClass().getClassLoader(), pluginLoader);
            assertTrue(pluginLoader instanceof org.pf4j.PluginClassLoader, pluginLoader.getClass().getName());
            // The plugin's classes are not visible from the core, ...
            assertThrows(ClassNotFoundException.class, () -> Class.forName("tiny.plugin.TinyProvider"));
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("helper.Helper", false, PluginCatalog.class.getClassLoader()));
            // ... the SPI they see is the core's own, ...
            assertSame(FlowFilterProvider.class, pluginLoader.loadClass(FlowFilterProvider.class.getName()));
            // ... and the core is invisible to them (the plugin checks from inside).
            try (FilterChain chain = FilterChain.build(catalog, List.of(PluginSpec.parse("tiny:ports=1")),
                    TestEnv.env(new Counters()))) {
                GateDecision d = decide(chain);
                assertEquals(GateDecision.Action.REJECT, d.action());
                assertEquals("core=false slf4j=false pf4j=false netty=false tccl=true", d.reason());
                PluginException e = assertThrows(PluginException.class, () -> FilterChain.build(catalog,
                        List.of(PluginSpec.parse("tiny:port=1")), TestEnv.env(new Counters())));
                assertEquals("plugin tiny: unknown option \"port\" (known options: ports)", e.getMessage());
            }
        }
    }

    @Test
    void aDirectoryOfJarsIsOnePlugin() throws Exception {
        Path dir = tmp.resolve("plugins");
        Path pluginDir = dir.resolve("tiny");
        jar(pluginDir.resolve("a-tiny.jar"), tinyClasses, null, n -> !n.startsWith("helper/"));
        jar(pluginDir.resolve("b-helper.jar"), tinyClasses, null, n -> n.startsWith("helper/"));
        try (PluginCatalog catalog = PluginCatalog.discover(List.of(dir));
             FilterChain chain = FilterChain.build(catalog, List.of(PluginSpec.parse("tiny")),
                     TestEnv.env(new Counters()))) {
            assertEquals(pluginDir.toString(), catalog.info("tiny").orElseThrow().origin());
            assertEquals("unknown", catalog.info("tiny").orElseThrow().version());
            assertEquals("core=false slf4j=false pf4j=false netty=false tccl=true", decide(chain).reason());
        }
    }

    @Test
    void duplicateNamesAcrossJarsNameBothJars() throws Exception {
        Path a = jar(tmp.resolve("a/tiny.jar"), tinyClasses, null);
        Path b = jar(tmp.resolve("b/other.jar"), otherClasses, null);
        PluginException e = assertThrows(PluginException.class,
                () -> PluginCatalog.discover(List.of(tmp.resolve("a"), tmp.resolve("b"))));
        assertEquals("two plugins are named \"tiny\": " + a + " (tiny.plugin.TinyProvider) and " + b
                + " (other.plugin.TinyProvider); remove one of them", e.getMessage());
    }

    @Test
    void aJarMayNotReuseAClassPathPluginsName() throws Exception {
        Path a = jar(tmp.resolve("p/clash.jar"), cpClashClasses, null);
        PluginException e = assertThrows(PluginException.class, () -> PluginCatalog.discover(List.of(tmp.resolve("p"))));
        assertEquals("two plugins are named \"cp-test\": class path (dev.sluice.core.plugin.ClassPathTestProvider)"
                + " and " + a + " (clash.plugin.TinyProvider); remove one of them", e.getMessage());
    }

    @Test
    void classPathPluginsAndTheListing() {
        try (PluginCatalog catalog = PluginCatalog.discover(List.of())) {
            PluginInfo info = catalog.info("cp-test").orElseThrow();
            assertEquals(PluginCatalog.CLASS_PATH, info.origin());
            assertEquals(List.of("answer=accept|continue  what to say (default continue)",
                    "x=N                     unused"), info.optionsHelp());
            assertEquals("""
                    cp-test unknown  (class path)
                        found on the class path
                          answer=accept|continue  what to say (default continue)
                          x=N                     unused
                    """, catalog.describe());
            FilterChain chain = FilterChain.build(catalog, List.of(PluginSpec.parse("cp-test:answer=accept")),
                    TestEnv.env(new Counters()));
            assertEquals(new GateDecision(GateDecision.Action.ACCEPT, null, null, "cp-test", null), decide(chain));
        }
    }

    @Test
    void jarsWithoutProvidersAreIgnoredAndBrokenOnesStopDiscovery() throws Exception {
        Path dir = tmp.resolve("plugins");
        jar(dir.resolve("library.jar"), tinyClasses, null, n -> !n.startsWith("META-INF/services/"));
        try (PluginCatalog catalog = PluginCatalog.discover(List.of(dir))) {
            assertEquals(List.of("cp-test"), List.copyOf(catalog.names()));
        }
        Path broken = jar(dir.resolve("broken.jar"), tinyClasses, null, n -> !n.endsWith("TinyProvider.class"));
        PluginException e = assertThrows(PluginException.class, () -> PluginCatalog.discover(List.of(dir)));
        assertTrue(e.getMessage().startsWith("cannot load plugin from " + broken + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("tiny.plugin.TinyProvider not found"), e.getMessage());
    }

    @Test
    void missingDirectoryIsAnError() {
        Path missing = tmp.resolve("nope");
        PluginException e = assertThrows(PluginException.class, () -> PluginCatalog.discover(List.of(missing)));
        assertEquals("plugin directory " + missing + " does not exist", e.getMessage());
        try (PluginCatalog c = PluginCatalog.discover(List.of(tmp))) { // empty: no pf4j at all
            assertEquals(List.of(PluginCatalog.CLASS_PATH, tmp.toString()), c.searched());
        }
    }

    @Test
    void invalidProviderNamesAreRefused() throws Exception {
        Path classes = compile("bad", "bad.plugin", "Bad Name");
        Path jar = jar(tmp.resolve("p/bad.jar"), classes, null);
        PluginException e = assertThrows(PluginException.class, () -> PluginCatalog.discover(List.of(tmp.resolve("p"))));
        assertEquals("plugin bad.plugin.TinyProvider in " + jar + " has an invalid name \"Bad Name\": names are"
                + " lowercase letters, digits, '.', '_' and '-'", e.getMessage());
    }

    @Test
    void closingTheCatalogClosesPluginLoaders() throws Exception {
        Path dir = tmp.resolve("plugins");
        jar(dir.resolve("tiny.jar"), tinyClasses, null);
        PluginCatalog catalog = PluginCatalog.discover(List.of(dir));
        org.pf4j.PluginClassLoader loader = (org.pf4j.PluginClassLoader) catalog.entry("tiny").loader();
        assertFalse(loader.isClosed());
        catalog.close();
        assertTrue(loader.isClosed());
    }
}
