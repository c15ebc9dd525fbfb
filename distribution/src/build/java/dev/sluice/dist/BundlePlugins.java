package dev.sluice.dist;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chooses the plugin jars of the distribution's {@code plugins/}.
 *
 * <p>The build stages every bundled plugin jar (the {@code sluice-plugin-*}
 * dependencies of distribution/pom.xml) in one directory; this tool copies
 * the ones {@code -Dsluice.plugins} names into the tree. Kept apart from the
 * Maven wiring so the selection can be run and tested on its own:
 * <pre>
 * java -cp distribution/target/classes dev.sluice.dist.BundlePlugins \
 *     --staging=DIR --version=0.1.0-SNAPSHOT --select=deny-port --out=TREE/plugins [--modules-pom=plugins/pom.xml]
 * </pre>
 * {@code --select} is {@code all}, {@code none}, or plugin names separated by
 * commas (the artifact {@code sluice-plugin-NAME}). With
 * {@code --modules-pom}, every module of that pom must be staged, so a new
 * plugin module whose line was forgotten in distribution/pom.xml fails the
 * build instead of silently missing from the tree.
 */
public final class BundlePlugins {
    static final String PREFIX = "sluice-plugin-";

    private BundlePlugins() {
    }

    public static void main(String[] args) throws IOException {
        try {
            run(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // A user's mistake (the property, a forgotten pom line): its message, not a stack trace.
            System.err.println("[sluice] ERROR: " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(String[] args) throws IOException {
        Map<String, String> o = Args.parse(args, List.of("--staging", "--version", "--select", "--out"),
                List.of("--modules-pom"));
        Path staging = Path.of(o.get("--staging"));
        Map<String, Path> staged = staged(staging, o.get("--version"));
        if (o.containsKey("--modules-pom")) {
            checkModules(modules(Path.of(o.get("--modules-pom"))), staged.keySet());
        }
        List<String> chosen = select(o.get("--select"), staged.keySet());
        copy(staged, chosen, Path.of(o.get("--out")));
        System.out.println("[sluice] plugins bundled: " + (chosen.isEmpty() ? "none" : String.join(", ", chosen))
                + " (of " + String.join(", ", staged.keySet()) + ")");
    }

    /** The staged plugin jars by plugin name: {@code sluice-plugin-NAME-VERSION.jar}. */
    static Map<String, Path> staged(Path staging, String version) throws IOException {
        Map<String, Path> byName = new TreeMap<>();
        if (!Files.isDirectory(staging)) {
            return byName;
        }
        String suffix = "-" + version + ".jar";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(staging, PREFIX + "*" + suffix)) {
            for (Path p : ds) {
                String file = p.getFileName().toString();
                byName.put(file.substring(PREFIX.length(), file.length() - suffix.length()), p);
            }
        }
        return byName;
    }

    /** The {@code <module>}s of a pom (comments ignored). */
    static List<String> modules(Path pom) throws IOException {
        String xml = Files.readString(pom).replaceAll("(?s)<!--.*?-->", "");
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<module>\\s*([^<]+?)\\s*</module>").matcher(xml);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static void checkModules(List<String> modules, Set<String> staged) {
        for (String m : modules) {
            if (!staged.contains(m)) {
                throw new IllegalStateException("plugins/" + m + " is a module of plugins/pom.xml but is not bundled: "
                        + "add its line (artifact " + PREFIX + m + ") to the bundled plugins in distribution/pom.xml");
            }
        }
    }

    /**
     * The plugin names a selection stands for, in the order given.
     *
     * @throws IllegalArgumentException for an empty selection or an unknown name
     */
    static List<String> select(String selection, Set<String> available) {
        String s = selection == null ? "" : selection.trim();
        if (s.equals("all")) {
            return List.copyOf(available);
        }
        if (s.equals("none")) {
            return List.of();
        }
        Set<String> chosen = new LinkedHashSet<>();
        for (String part : s.split(",")) {
            String name = part.trim();
            if (name.startsWith(PREFIX)) {
                name = name.substring(PREFIX.length()); // the artifact id is accepted too
            }
            if (name.isEmpty()) {
                continue;
            }
            if (!available.contains(name)) {
                throw new IllegalArgumentException("sluice.plugins: no bundled plugin is named \"" + name
                        + "\"; choose from: " + String.join(", ", available) + " (or all, none)");
            }
            chosen.add(name);
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("sluice.plugins is empty: give all (the default), none, "
                    + "or plugin names separated by commas (choose from: " + String.join(", ", available) + ")");
        }
        return List.copyOf(chosen);
    }

    /** Makes {@code out} hold exactly the chosen jars (jars of an earlier selection are removed). */
    static void copy(Map<String, Path> staged, List<String> chosen, Path out) throws IOException {
        Files.createDirectories(out);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out, "*.jar")) {
            for (Path old : ds) {
                Files.delete(old);
            }
        }
        for (String name : chosen) {
            Path jar = staged.get(name);
            Files.copy(jar, out.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
