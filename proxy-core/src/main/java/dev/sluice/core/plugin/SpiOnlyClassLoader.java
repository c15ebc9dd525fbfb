package dev.sluice.core.plugin;

import java.io.IOException;
import java.net.URL;
import java.util.Enumeration;

/**
 * The parent of every plugin class loader (Trino's "SPI-first"): it shows a
 * plugin the JDK's platform classes and the SPI package {@code dev.sluice.api}
 * (from the core's loader, so the plugin and the core share one
 * {@code FlowFilterProvider} class), and nothing else of the application class
 * path: not the core, not netty, slf4j or pf4j, not the META-INF/services
 * entries of class-path plugins. Stateless; one instance serves all plugins.
 */
final class SpiOnlyClassLoader extends ClassLoader {
    static final String SPI_PACKAGE = "dev.sluice.api.";
    private static final String SPI_RESOURCES = "dev/sluice/api/";

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader spi;

    SpiOnlyClassLoader(ClassLoader spi) {
        super("sluice-spi", ClassLoader.getPlatformClassLoader());
        this.spi = spi;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(SPI_PACKAGE)) {
            return spi.loadClass(name);
        }
        // The platform loader, then our findClass, which finds nothing.
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        return name.startsWith(SPI_RESOURCES) ? spi.getResource(name) : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return name.startsWith(SPI_RESOURCES) ? spi.getResources(name) : super.getResources(name);
    }
}
