package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The distribution as a user gets it (issue 5): the unpacked tree, copied to
 * a fresh directory (whose name holds a space), runs from there — version,
 * plugins, launcher's Java check, man page, completion, and a DHCP round with
 * the example argument file. The bundled subset ({@code -Dsluice.plugins}) is
 * checked by running the build's own selection step (BundlePlugins over the
 * build's plugin staging directory) into a copy, rather than a nested Maven
 * build.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributionIT {
    /** Tested when installed: the launcher must accept it and Sluice run on it. */
    static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final String VERSION = System.getProperty("sluice.version");

    private Path tmp;
    private Path copy;

    @BeforeAll
    void copyTheTree() throws IOException {
        tmp = Files.createTempDirectory(SluiceProcess.workDir(), "dist-");
        copy = tmp.resolve("sluice copy");
        Cmd.run(60, "cp", "-a", SluiceProcess.home().toString(), copy.toString()).ok();
    }

    @AfterAll
    void removeTheCopies() {
        if (tmp != null) {
            Cmd.run(60, "rm", "-rf", tmp.toString());
        }
    }

    private String bin(Path tree) {
        return tree.resolve("bin/sluice").toString();
    }

    private static Path distTarget() {
        return Path.of(System.getProperty("sluice.dist.target"));
    }

    /** The {@code <module>}s of plugins/pom.xml: by default, every one is bundled. */
    private static List<String> pluginModules() throws IOException {
        String xml = Files.readString(Path.of(System.getProperty("sluice.plugins.pom"))).replaceAll("(?s)<!--.*?-->", "");
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<module>\\s*([^<]+?)\\s*</module>").matcher(xml);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** {@code --list-plugins} of a tree: "NAME VERSION  (ORIGIN)" per plugin, description and options below. */
    private String listPlugins(Path tree) {
        return Cmd.run(30, bin(tree), "--list-plugins").ok().out();
    }

    private static boolean lists(String listing, String name) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + " ").matcher(listing).find();
    }

    @Test
    void aCopiedTreeRunsWithItsOwnPlugins() throws IOException {
        assertEquals("sluice " + VERSION, Cmd.run(30, bin(copy), "--version").ok().out().trim());
        String listing = listPlugins(copy);
        for (String module : pluginModules()) {
            Path jar = copy.resolve("plugins/sluice-plugin-" + module + "-" + VERSION + ".jar");
            assertTrue(Files.isRegularFile(jar), "the default build bundles every plugin: " + jar);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(copy.resolve("plugins"), "*.jar")) {
            for (Path jar : ds) {
                assertTrue(listing.contains("  (" + jar + ")"), jar + " is listed from the copy:\n" + listing);
            }
        }
        assertTrue(lists(listing, "deny-port"), listing);
        assertFalse(listing.contains(SluiceProcess.home().toString() + "/"), "nothing from the original tree:\n" + listing);
    }

    @Test
    void aSubsetBundlesOnlyTheSubset() throws Exception {
        // The build's staging directory plus one more plugin, so there is a subset to choose even
        // while deny-port is the only bundled plugin.
        Path staging = Files.createDirectories(tmp.resolve("staging"));
        Cmd.run(30, "sh", "-c", "cp -a '" + distTarget().resolve("plugin-staging") + "'/*.jar '" + staging + "'").ok();
        TestPlugins.filterPlugin(staging.resolve("sluice-plugin-it-extra-" + VERSION + ".jar"), "it-extra",
                TestPlugins.Kind.ACCEPT);
        Path tree = tmp.resolve("subset");
        Cmd.run(60, "cp", "-a", copy.toString(), tree.toString()).ok();

        bundle(staging, "all", tree).ok();
        String all = listPlugins(tree);
        assertTrue(lists(all, "deny-port") && lists(all, "it-extra"), all);

        bundle(staging, "it-extra", tree).ok();
        String extraOnly = listPlugins(tree);
        assertTrue(lists(extraOnly, "it-extra") && !lists(extraOnly, "deny-port"), extraOnly);

        bundle(staging, "deny-port", tree).ok();
        String denyOnly = listPlugins(tree);
        assertTrue(lists(denyOnly, "deny-port") && !lists(denyOnly, "it-extra"), denyOnly);

        Cmd.Result typo = bundle(staging, "deny-port,it-xtra", tree);
        assertEquals(1, typo.exit(), typo.out());
        assertTrue(typo.out().contains("no bundled plugin is named \"it-xtra\""), typo.out());
    }

    /** What {@code -Dsluice.plugins=SELECT} makes the build do: BundlePlugins from staging into the tree's plugins/. */
    private Cmd.Result bundle(Path staging, String select, Path tree) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return Cmd.run(60, java, "-cp", distTarget().resolve("classes").toString(), "dev.sluice.dist.BundlePlugins",
                "--staging=" + staging, "--version=" + VERSION, "--select=" + select, "--out=" + tree.resolve("plugins"));
    }

    @Test
    void theLauncherChecksTheJava() throws IOException {
        // A Java 11 known by its release file: its java must not even be started.
        Path old11 = Files.createDirectories(tmp.resolve("jdk11/bin"));
        Files.writeString(tmp.resolve("jdk11/release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"11.0.22\"\n");
        script(old11.resolve("java"), "exit 99");
        Cmd.Result r11 = Cmd.run(30, "env", "JAVA_HOME=" + tmp.resolve("jdk11"), bin(copy), "--version");
        assertEquals(1, r11.exit(), r11.out());
        assertTrue(r11.out().contains("is Java 11 (11.0.22); Sluice needs Java 17 or newer"), r11.out());

        // A Java 8 without a release file: asked with -version, "1.8" is 8.
        Path old8 = Files.createDirectories(tmp.resolve("jdk8/bin"));
        script(old8.resolve("java"), "echo 'java version \"1.8.0_392\"' >&2");
        Cmd.Result r8 = Cmd.run(30, "env", "JAVA_HOME=" + tmp.resolve("jdk8"), bin(copy), "--version");
        assertEquals(1, r8.exit(), r8.out());
        assertTrue(r8.out().contains("is Java 8 (1.8.0_392)"), r8.out());

        Cmd.Result none = Cmd.run(30, "env", "JAVA_HOME=" + tmp.resolve("no-such-jdk"), bin(copy), "--version");
        assertEquals(1, none.exit(), none.out());
        assertTrue(none.out().contains("has no bin/java"), none.out());

        Assumptions.assumeTrue(Files.isExecutable(JDK25.resolve("bin/java")), "no JDK 25 at " + JDK25);
        Cmd.Result r25 = Cmd.run(30, "env", "JAVA_HOME=" + JDK25, bin(copy), "--version");
        assertEquals("sluice " + VERSION, r25.ok().out().trim());
    }

    private static void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void manPageAndCompletionWorkFromTheTree() {
        String completion = copy.resolve("share/bash-completion/completions/sluice").toString();
        Cmd.Result c = Cmd.run(30, "bash", "-c", "source '" + completion + "' 2>/dev/null;"
                + " COMP_WORDS=(sluice --plugin-d); COMP_CWORD=1; _complete_sluice 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertEquals("--plugin-dir", c.ok().out().trim());

        Prerequisites.require(Cmd.has("man") && Cmd.has("col"), "man and col are not installed (.ci/run installs them)");
        Cmd.Result page = Cmd.run(30, "sh", "-c", "MANWIDTH=100 man -l '" + copy.resolve("share/man/man1/sluice.1") + "' | col -b");
        assertTrue(page.ok().out().contains("--plugin-dir=DIR") && page.out().contains("etc/sluice.args"), page.out());
        // man finds ../share/man of a bin/ on the PATH by itself.
        Cmd.Result where = Cmd.run(30, "env", "-u", "MANPATH", "PATH=" + copy.resolve("bin") + ":/usr/bin:/bin", "man", "-w", "sluice");
        assertEquals(copy.resolve("share/man/man1/sluice.1").toString(), where.out().trim(), where.out());
    }

    @Test
    void dhcpRoundWithTheExampleArgumentFile() throws Exception {
        boolean jdk25 = Files.isExecutable(JDK25.resolve("bin/java"));
        Map<String, String> env = jdk25 ? Map.of("JAVA_HOME", JDK25.toString()) : Map.of();
        try (Topology topo = Topology.create();
             SluiceProcess s = SluiceProcess.start(copy, env, topo.h, "@etc/sluice.args", "--netns", topo.g, "-I", "tap0")) {
            Map<String, String> lease = Guest.udhcpc(topo.g, "tap0");
            assertEquals("10.77.0.1", lease.get("ip"), lease.toString());
            assertEquals("10.77.0.254", lease.get("router"), lease.toString());
            String log = s.log();
            assertTrue(log.contains("plugin chain: guest-addr -> deny-port:ports=25,465,587,137-139,445 -> deny-port:ports=23,mode=drop"), log);
            if (jdk25) {
                ProcessHandle java = s.process().toHandle();
                assertTrue(java.info().command().orElse("").startsWith(JDK25.toString()),
                        "runs on JDK 25: " + java.info().command());
                // The launcher declares jffi's native access and Unsafe use: no JVM warnings on each start.
                assertFalse(log.contains("WARNING: A restricted method") || log.contains("WARNING: A terminally deprecated"), log);
            }
        }
    }
}
