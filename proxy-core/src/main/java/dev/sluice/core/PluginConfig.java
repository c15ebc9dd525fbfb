package dev.sluice.core;

import dev.sluice.core.plugin.PluginSpec;

import java.nio.file.Path;
import java.util.List;

/**
 * The plugin options, validated.
 *
 * @param chain              {@code --plugin} specs, in chain order
 * @param dirs               plugin directories to search (given ones and existing defaults)
 * @param list               {@code --list-plugins}: print what was found and exit
 * @param statsIntervalSeconds {@code --stats-interval}, 0 for none
 */
public record PluginConfig(List<PluginSpec> chain, List<Path> dirs, boolean list, int statsIntervalSeconds) {
    public static final PluginConfig NONE = new PluginConfig(List.of(), List.of(), false, 0);

    public PluginConfig {
        chain = List.copyOf(chain);
        dirs = List.copyOf(dirs);
    }
}
