package dev.sluice.api;

import java.util.List;

/**
 * A plugin's entry point: what {@code --plugin NAME} names. Sluice finds
 * implementations with {@link java.util.ServiceLoader}, so a plugin jar lists
 * its provider class in
 * {@code META-INF/services/dev.sluice.api.FlowFilterProvider}; the class needs
 * a public no-argument constructor. Sluice creates one instance at startup and
 * calls it from one thread at a time.
 *
 * <p>A provider describes itself cheaply (name, description, version,
 * options) and does all real work in {@link #create(FilterContext)}, which is
 * called only when the user names the plugin, once per {@code --plugin}
 * occurrence and before the event loop starts.
 */
public interface FlowFilterProvider {
    /**
     * The name users give to {@code --plugin}: lowercase letters, digits,
     * {@code .}, {@code _} and {@code -}, starting with a letter or digit
     * ({@code deny-port}). Unique among installed plugins: two plugins with
     * one name stop Sluice at startup.
     */
    String name();

    /** One line saying what the plugin does. */
    String description();

    /**
     * The plugin's version, shown by {@code --list-plugins}. By default the
     * {@code Implementation-Version} of the jar manifest the provider class
     * came from, or {@code "unknown"}.
     */
    default String version() {
        String v = getClass().getPackage() == null ? null : getClass().getPackage().getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /** The options {@link #create(FilterContext)} understands, for {@code --list-plugins}. */
    default List<OptionInfo> options() {
        return List.of();
    }

    /**
     * Creates a filter for one {@code --plugin} occurrence. Validate the
     * options here (start with {@link PluginOptions#requireKnown(String...)}),
     * so mistakes stop Sluice at startup rather than surface per flow.
     *
     * @param context the options and the views of host, guest and instance
     * @return the filter, never null
     * @throws IllegalArgumentException when the options are wrong; its message is shown to the user as
     *                                  {@code plugin NAME: MESSAGE} and Sluice exits with status 2
     */
    FlowFilter create(FilterContext context);
}
