package dev.sluice.core.plugin;

import dev.sluice.api.FlowFilterProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.pf4j.ClassLoadingStrategy;
import org.pf4j.DefaultPluginDescriptor;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginDescriptorFinder;
import org.pf4j.PluginLoader;
import org.pf4j.PluginStatusProvider;

/**
 * pf4j's jar plugin manager, bent to Sluice's rules:
 * <ul>
 *   <li>no pf4j metadata is required of plugin authors: a plugin's descriptor is
 *       made up from its path (the id) and, when present, its manifest
 *       ({@link PluginManifest}: {@code Plugin-Version} or
 *       {@code Implementation-Version}; {@code Plugin-Requires} is checked
 *       against the SPI version before loading);</li>
 *   <li>a plugin is a jar, or a directory whose jars share one class loader
 *       (a plugin with dependencies it did not shade);</li>
 *   <li>each plugin's {@link PluginClassLoader} has the {@link SpiOnlyClassLoader}
 *       as parent and asks it first, so SPI classes always come from Sluice,
 *       everything else from the plugin;</li>
 *   <li>no enabled.txt/disabled.txt: the user picks plugins with {@code --plugin}.</li>
 * </ul>
 * Plugins are loaded one path at a time with {@link #loadPlugin(Path)} (which
 * throws) rather than {@code loadPlugins()} (which logs and goes on), so a
 * broken plugin stops startup with a message naming it. Plugins are never
 * "started" in pf4j's sense: Sluice uses only their class loaders.
 */
final class IsolatingPluginManager extends JarPluginManager {
    /**
     * Set before the super constructor runs, which calls the factory methods
     * below (hence static: instance fields are not yet assigned then).
     */
    private static final ClassLoader SPI_PARENT = new SpiOnlyClassLoader(FlowFilterProvider.class.getClassLoader());

    IsolatingPluginManager(List<Path> roots) {
        super(roots.toArray(Path[]::new));
    }

    /** Whether {@code path} looks like a plugin: a jar file, or a directory holding jars. */
    static boolean isPluginPath(Path path) {
        if (Files.isRegularFile(path)) {
            return isJar(path);
        }
        return Files.isDirectory(path) && !jarsIn(path).isEmpty();
    }

    private static boolean isJar(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".jar") && !n.startsWith(".");
    }

    /** The jars of a directory plugin, sorted by name so class loading order is stable. */
    static List<Path> jarsIn(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && isJar(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    @Override
    protected PluginDescriptorFinder createPluginDescriptorFinder() {
        return new PluginDescriptorFinder() {
            @Override
            public boolean isApplicable(Path pluginPath) {
                return isPluginPath(pluginPath);
            }

            @Override
            public PluginDescriptor find(Path pluginPath) {
                // The id stays the path (unique by construction); PluginCatalog has already
                // checked Plugin-Requires against the SPI version, with a better message.
                PluginManifest m = PluginManifest.read(pluginPath);
                return new DefaultPluginDescriptor(pluginPath.toString(), "", null,
                        m.version() == null ? "0.0.0" : m.version(), "*", "", "");
            }
        };
    }

    @Override
    protected PluginLoader createPluginLoader() {
        return new PluginLoader() {
            @Override
            public boolean isApplicable(Path pluginPath) {
                return isPluginPath(pluginPath);
            }

            @Override
            public ClassLoader loadPlugin(Path pluginPath, PluginDescriptor descriptor) {
                PluginClassLoader loader = new PluginClassLoader(IsolatingPluginManager.this, descriptor, SPI_PARENT,
                        ClassLoadingStrategy.APD);
                List<Path> jars = Files.isDirectory(pluginPath) ? jarsIn(pluginPath) : List.of(pluginPath);
                for (Path jar : jars) {
                    try {
                        loader.addURL(jar.toUri().toURL());
                    } catch (MalformedURLException e) {
                        throw new IllegalArgumentException("bad plugin path " + jar, e);
                    }
                }
                return loader;
            }
        };
    }

    @Override
    protected PluginStatusProvider createPluginStatusProvider() {
        return new PluginStatusProvider() {
            @Override
            public boolean isPluginDisabled(String pluginId) {
                return false;
            }

            @Override
            public void disablePlugin(String pluginId) {
            }

            @Override
            public void enablePlugin(String pluginId) {
            }
        };
    }
}
