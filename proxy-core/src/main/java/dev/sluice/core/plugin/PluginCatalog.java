package dev.sluice.core.plugin;

import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The installed plugins, found once at startup:
 * <ol>
 *   <li>on the class path, with {@link ServiceLoader} (tests, embedding, a
 *       plugin jar put in {@code lib/});</li>
 *   <li>in each plugins directory, in the order given: every {@code *.jar}
 *       directly inside is one plugin, and every sub-directory holding jars is
 *       one plugin whose jars share a class loader. Each plugin is loaded by
 *       pf4j in a class loader of its own that exposes only
 *       {@code dev.sluice.api} and the JDK ({@link IsolatingPluginManager}),
 *       and its providers are found through its own
 *       {@code META-INF/services/dev.sluice.api.FlowFilterProvider}. Other
 *       files and hidden entries are ignored; a jar without the services entry
 *       is ignored with a warning.</li>
 * </ol>
 * Plugin names are unique: two providers with one name are an error naming
 * both origins. Nothing of a plugin runs here beyond its provider's
 * constructor and its describing methods; {@link FilterChain#build} creates
 * filters.
 *
 * <p>Not thread-safe; built and used at startup. {@link #close()} releases the
 * plugin class loaders, after the chain is closed.
 */
public final class PluginCatalog implements AutoCloseable {
    /** The origin of plugins found on the class path. */
    public static final String CLASS_PATH = "class path";
    static final String SERVICES_ENTRY = "META-INF/services/" + FlowFilterProvider.class.getName();

    private static final Logger log = LoggerFactory.getLogger(PluginCatalog.class);

    /** One installed plugin: its provider instance, what it says of itself, and its class loader. */
    record Entry(FlowFilterProvider provider, PluginInfo info, ClassLoader loader) {
    }

    private final Map<String, Entry> byName;
    private final List<String> searched;
    private IsolatingPluginManager manager;

    private PluginCatalog(Map<String, Entry> byName, List<String> searched, IsolatingPluginManager manager) {
        this.byName = byName;
        this.searched = searched;
        this.manager = manager;
    }

    /**
     * Finds the plugins on the class path and in {@code pluginDirs}.
     *
     * @param pluginDirs plugins directories, searched in order; each must exist
     * @throws PluginException for a missing directory, a plugin that cannot be loaded, a provider that
     *                         fails or has an invalid name, or two plugins with one name
     */
    public static PluginCatalog discover(List<Path> pluginDirs) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path d : pluginDirs) {
            Path abs = d.toAbsolutePath().normalize();
            if (!Files.exists(abs)) {
                throw new PluginException("plugin directory " + abs + " does not exist");
            }
            if (!Files.isDirectory(abs)) {
                throw new PluginException("plugin directory " + abs + " is not a directory");
            }
            dirs.add(abs);
        }
        List<String> searched = new ArrayList<>();
        searched.add(CLASS_PATH);
        dirs.forEach(d -> searched.add(d.toString()));

        Map<String, Entry> byName = new TreeMap<>();
        ClassLoader appLoader = PluginCatalog.class.getClassLoader();
        for (FlowFilterProvider p : loadProviders(appLoader, CLASS_PATH)) {
            add(byName, entry(p, CLASS_PATH, appLoader));
        }

        List<Path> candidates = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> !p.getFileName().toString().startsWith("."))
                        .filter(IsolatingPluginManager::isPluginPath)
                        .sorted()
                        .forEach(candidates::add);
            } catch (IOException | RuntimeException e) {
                throw new PluginException("cannot read plugin directory " + dir + ": " + e.getMessage(), e);
            }
        }
        if (candidates.isEmpty()) {
            return new PluginCatalog(byName, List.copyOf(searched), null);
        }

        IsolatingPluginManager manager = new IsolatingPluginManager(new ArrayList<>(dirs));
        try {
            for (Path candidate : candidates) {
                String origin = candidate.toString();
                String id;
                try {
                    PluginManifest.read(candidate).requireCompatible(origin);
                } catch (java.io.UncheckedIOException e) {
                    throw new PluginException("cannot load plugin " + origin + ": " + e.getMessage(), e);
                }
                try {
                    id = manager.loadPlugin(candidate);
                } catch (RuntimeException e) {
                    throw new PluginException("cannot load plugin " + origin + ": " + e.getMessage(), e);
                }
                ClassLoader loader = manager.getPluginClassLoader(id);
                List<FlowFilterProvider> found = loadProviders(loader, origin);
                if (found.isEmpty()) {
                    log.warn("{} has no {} entry: ignored", origin, SERVICES_ENTRY);
                    manager.unloadPlugin(id);
                    continue;
                }
                for (FlowFilterProvider p : found) {
                    add(byName, entry(p, origin, loader));
                }
            }
        } catch (RuntimeException e) {
            manager.unloadPlugins();
            throw e;
        }
        return new PluginCatalog(byName, List.copyOf(searched), manager);
    }

    /**
     * A catalog of the given providers, with origin {@value #CLASS_PATH}; for
     * embedding Sluice and for tests.
     *
     * @throws PluginException as {@link #discover(List)} for invalid or duplicate names
     */
    public static PluginCatalog of(FlowFilterProvider... providers) {
        Map<String, Entry> byName = new TreeMap<>();
        for (FlowFilterProvider p : providers) {
            add(byName, entry(p, CLASS_PATH, p.getClass().getClassLoader()));
        }
        return new PluginCatalog(byName, List.of(CLASS_PATH), null);
    }

    /** Providers registered for {@code loader} itself (its parents add none, see {@link SpiOnlyClassLoader}). */
    private static List<FlowFilterProvider> loadProviders(ClassLoader loader, String origin) {
        List<FlowFilterProvider> out = new ArrayList<>();
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            Iterator<FlowFilterProvider> it = ServiceLoader.load(FlowFilterProvider.class, loader).iterator();
            while (it.hasNext()) {
                FlowFilterProvider p = it.next();
                if (origin.equals(CLASS_PATH) || p.getClass().getClassLoader() == loader) {
                    out.add(p);
                }
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new PluginException("cannot load plugin from " + origin + ": " + e.getMessage()
                    + (cause != e ? " (" + cause + ")" : ""), e);
        } finally {
            t.setContextClassLoader(saved);
        }
        return out;
    }

    private static Entry entry(FlowFilterProvider p, String origin, ClassLoader loader) {
        String cls = p.getClass().getName();
        String where = origin.equals(CLASS_PATH) ? cls + " on the class path" : cls + " in " + origin;
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            String name = p.name();
            if (name == null || !PluginSpec.NAME.matcher(name).matches()) {
                throw new PluginException("plugin " + where + " has an invalid name " + (name == null ? "null" : "\"" + name + "\"")
                        + ": names are lowercase letters, digits, '.', '_' and '-'");
            }
            String description = p.description();
            String version = p.version();
            List<OptionInfo> options = p.options();
            PluginInfo info = new PluginInfo(name, version == null || version.isBlank() ? "unknown" : version, origin,
                    description == null ? "" : description.strip(), options == null ? List.of() : options, cls);
            return new Entry(p, info, loader);
        } catch (PluginException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            throw new PluginException("plugin " + where + " failed to describe itself: " + e, e);
        } finally {
            t.setContextClassLoader(saved);
        }
    }

    private static void add(Map<String, Entry> byName, Entry e) {
        Entry old = byName.putIfAbsent(e.info().name(), e);
        if (old != null) {
            throw new PluginException("two plugins are named \"" + e.info().name() + "\": " + describeOrigin(old.info())
                    + " and " + describeOrigin(e.info()) + "; remove one of them");
        }
    }

    private static String describeOrigin(PluginInfo i) {
        return i.origin() + " (" + i.className() + ")";
    }

    /** The installed plugins, sorted by name. */
    public List<PluginInfo> list() {
        List<PluginInfo> out = new ArrayList<>(byName.size());
        byName.values().forEach(e -> out.add(e.info()));
        return Collections.unmodifiableList(out);
    }

    /** The names of the installed plugins, sorted. */
    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    public Optional<PluginInfo> info(String name) {
        Entry e = byName.get(name);
        return e == null ? Optional.empty() : Optional.of(e.info());
    }

    /** Where plugins were looked for: {@value #CLASS_PATH} and each plugins directory. */
    public List<String> searched() {
        return searched;
    }

    Entry entry(String name) {
        return byName.get(name);
    }

    /** The text {@code sluice --list-plugins} prints. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (byName.isEmpty()) {
            sb.append("No plugins installed (searched: ").append(String.join(", ", searched)).append(").\n");
            return sb.toString();
        }
        for (Entry e : byName.values()) {
            PluginInfo i = e.info();
            sb.append(i.name()).append(' ').append(i.version()).append("  (").append(i.origin()).append(")\n");
            if (!i.description().isEmpty()) {
                sb.append("    ").append(i.description()).append('\n');
            }
            for (String line : i.optionsHelp()) {
                sb.append("      ").append(line).append('\n');
            }
        }
        return sb.toString();
    }

    /** Releases the plugin class loaders. Call after the filters made from them are closed. */
    @Override
    public void close() {
        if (manager != null) {
            manager.unloadPlugins();
            manager = null;
        }
    }
}
