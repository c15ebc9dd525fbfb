package dev.sluice.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundlePluginsTest {
    static final String V = "1.2.3-SNAPSHOT";
    static final Set<String> AVAILABLE = Set.of("deny-port", "guest-addr", "no-map-host");

    @TempDir
    Path tmp;

    private Path stage(String... names) throws IOException {
        Path staging = Files.createDirectories(tmp.resolve("staging"));
        for (String n : names) {
            Files.writeString(staging.resolve("sluice-plugin-" + n + "-" + V + ".jar"), n);
        }
        return staging;
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void stagedJarsAreNamedByPluginWithTheVersionStripped() throws IOException {
        Path staging = stage("deny-port", "no-map-host");
        Files.writeString(staging.resolve("sluice-plugin-old-0.9.jar"), "another version: not ours");
        Files.writeString(staging.resolve("netty-common-" + V + ".jar"), "not a plugin");
        assertEquals(Set.of("deny-port", "no-map-host"), BundlePlugins.staged(staging, V).keySet());
        assertEquals(Map.of(), BundlePlugins.staged(tmp.resolve("missing"), V));
    }

    @Test
    void selectionAllNoneAndLists() {
        assertEquals(List.of("deny-port", "guest-addr", "no-map-host"),
                BundlePlugins.select("all", new java.util.TreeSet<>(AVAILABLE)));
        assertEquals(List.of(), BundlePlugins.select("none", AVAILABLE));
        assertEquals(List.of("no-map-host", "guest-addr"), BundlePlugins.select("no-map-host,guest-addr", AVAILABLE));
        assertEquals(List.of("guest-addr", "deny-port"),
                BundlePlugins.select(" guest-addr , sluice-plugin-deny-port,guest-addr,", AVAILABLE));
    }

    @Test
    void unknownOrEmptySelectionsAreErrorsNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BundlePlugins.select("deny-port,guest-adr", AVAILABLE));
        assertTrue(e.getMessage().contains("\"guest-adr\""), e.getMessage());
        assertTrue(e.getMessage().contains("guest-addr"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BundlePlugins.select("", AVAILABLE));
        assertThrows(IllegalArgumentException.class, () -> BundlePlugins.select(" , ", AVAILABLE));
    }

    @Test
    void outputHoldsExactlyTheSelection() throws IOException {
        Path staging = stage("deny-port", "guest-addr", "no-map-host");
        Path out = tmp.resolve("tree/plugins");
        BundlePlugins.run(new String[] {"--staging=" + staging, "--version=" + V, "--select=all", "--out=" + out});
        assertEquals(3, files(out).size());
        // A later build with a subset must not keep the jars of the earlier one.
        BundlePlugins.run(new String[] {"--staging=" + staging, "--version=" + V, "--select=guest-addr", "--out=" + out});
        assertEquals(List.of("sluice-plugin-guest-addr-" + V + ".jar"), files(out));
        BundlePlugins.run(new String[] {"--staging=" + staging, "--version=" + V, "--select=none", "--out=" + out});
        assertEquals(List.of(), files(out));
    }

    @Test
    void aPluginModuleWithoutItsDistributionLineFailsTheBuild() throws IOException {
        Path staging = stage("deny-port");
        Path pom = tmp.resolve("pom.xml");
        Files.writeString(pom, "<project><modules>\n  <module>deny-port</module>\n"
                + "  <!-- <module>retired</module> -->\n  <module> outbound-if </module>\n</modules></project>");
        assertEquals(List.of("deny-port", "outbound-if"), BundlePlugins.modules(pom));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BundlePlugins.run(new String[] {
            "--staging=" + staging, "--version=" + V, "--select=all", "--out=" + tmp.resolve("out"), "--modules-pom=" + pom}));
        assertTrue(e.getMessage().contains("plugins/outbound-if") && e.getMessage().contains("distribution/pom.xml"),
                e.getMessage());
    }

    @Test
    void argumentsAreKeyEqualsValue() {
        assertEquals(Map.of("--select", ""), Args.parse(new String[] {"--select="}, List.of("--select"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Args.parse(new String[] {"--select"}, List.of("--select"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Args.parse(new String[] {}, List.of("--select"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Args.parse(new String[] {"--x=1"}, List.of(), List.of()));
    }
}
