package dev.sluice.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Plugin jars built while a test runs: a provider's Java source compiled with
 * javax.tools against the distribution's SPI jar ({@code lib/sluice-plugin-api-*.jar}),
 * jarred with its {@code META-INF/services} entry. They are never on the
 * test's class path; Sluice loads them from a {@code --plugin-dir}.
 */
public final class TestPlugins {
    static final String SERVICES = "META-INF/services/dev.sluice.api.FlowFilterProvider";
    /** What {@code --list-plugins} shows as their version (Implementation-Version of the jar). */
    public static final String VERSION = "1.0-it";

    /** What a test filter answers for flows to its ports. */
    public enum Kind {
        ACCEPT("return Verdict.ACCEPT;"),
        REJECT("return Verdict.reject(\"the test filter says no\");"),
        DROP("return Verdict.drop(\"the test filter drops\");"),
        THROW("throw new IllegalStateException(\"the test filter always throws\");");

        final String code;

        Kind(String code) {
            this.code = code;
        }
    }

    private TestPlugins() {
    }

    /**
     * Builds {@code jar}: a plugin named {@code name} whose filter answers {@code kind} for flows to
     * the destination ports of its option {@code ports} (every flow when it is absent) and
     * {@code CONTINUE} for the others. At {@code create} it logs which of Sluice's own classes
     * (core, netty, slf4j, pf4j, picocli) its class loader can see: "... sees these classes of Sluice's own: none".
     */
    public static Path filterPlugin(Path jar, String name, Kind kind) throws IOException {
        String pkg = "it.plugin." + name.replaceAll("[^a-z0-9]", "_");
        String source = """
                package PKG;

                import dev.sluice.api.*;
                import java.util.*;

                public final class TestProvider implements FlowFilterProvider {
                    @Override public String name() { return "NAME"; }
                    @Override public String description() { return "Integration-test filter: KIND for its ports"; }
                    @Override public List<OptionInfo> options() {
                        return List.of(new OptionInfo("ports", "PORT[,PORT...]", "destination ports it decides (default: all)"));
                    }
                    @Override public FlowFilter create(FilterContext context) {
                        PluginOptions o = context.options().requireKnown("ports");
                        Set<Integer> ports = new HashSet<>();
                        for (String p : o.getList("ports")) {
                            ports.add(PluginOptions.parseInt("ports", p, 0, 65535));
                        }
                        List<String> seen = new ArrayList<>();
                        for (String c : new String[] {"dev.sluice.core.Sluice", "io.netty.channel.Channel",
                                "org.slf4j.Logger", "org.pf4j.PluginManager", "picocli.CommandLine"}) {
                            try {
                                Class.forName(c, false, TestProvider.class.getClassLoader());
                                seen.add(c);
                            } catch (ClassNotFoundException e) {
                                // what isolation means: the plugin sees the SPI and the JDK only
                            }
                        }
                        context.logger().info("NAME sees these classes of Sluice's own: " + (seen.isEmpty() ? "none" : seen));
                        return new FlowFilter() {
                            @Override public Verdict decide(FlowAttempt flow) {
                                if (!ports.isEmpty() && !ports.contains(flow.mappedDestination().getPort())) {
                                    return Verdict.CONTINUE;
                                }
                                CODE
                            }
                        };
                    }
                }
                """.replace("PKG", pkg).replace("NAME", name).replace("KIND", kind.name().toLowerCase(Locale.ROOT))
                .replace("CODE", kind.code);
        return jar(jar, pkg + ".TestProvider", source);
    }

    /** Compiles one provider class from source and writes a plugin jar of it, with its services entry. */
    public static Path jar(Path jar, String className, String source) throws IOException {
        Path build = Files.createTempDirectory(SluiceProcess.workDir(), "plugin-build-");
        Path src = build.resolve("src/" + className.replace('.', '/') + ".java");
        Path classes = build.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK (javax.tools)");
        int rc = javac.run(null, null, null, "--release", "17", "-proc:none", "-d", classes.toString(),
                "-classpath", spiJar().toString(), src.toString());
        assertEquals(0, rc, "javac failed for " + src);
        Path services = classes.resolve(SERVICES);
        Files.createDirectories(services.getParent());
        Files.writeString(services, className + "\n");

        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, VERSION);
        Files.createDirectories(jar.toAbsolutePath().getParent());
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

    /** The SPI jar of the distribution under test. */
    public static Path spiJar() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(SluiceProcess.home().resolve("lib"), "sluice-plugin-api-*.jar")) {
            for (Path p : ds) {
                return p;
            }
        }
        throw new AssertionError("no lib/sluice-plugin-api-*.jar in " + SluiceProcess.home());
    }
}
