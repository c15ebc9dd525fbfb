package dev.sluice.core.plugin;

import dev.sluice.api.OptionInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --list-plugins} shows of one installed plugin.
 *
 * @param name        the name {@code --plugin} takes
 * @param version     the plugin's version ("unknown" when it does not say)
 * @param origin      {@value PluginCatalog#CLASS_PATH}, or the path of the plugin's jar (or directory)
 * @param description one line
 * @param options     the options it documents
 * @param className   the provider class, to tell apart plugins of one origin
 */
public record PluginInfo(String name, String version, String origin, String description, List<OptionInfo> options,
                         String className) {
    public PluginInfo {
        options = List.copyOf(options);
    }

    /** One line per option: {@code KEY=VALUE  description}, values aligned. */
    public List<String> optionsHelp() {
        int width = 0;
        for (OptionInfo o : options) {
            width = Math.max(width, o.key().length() + 1 + o.value().length());
        }
        List<String> lines = new ArrayList<>(options.size());
        for (OptionInfo o : options) {
            String kv = o.key() + "=" + o.value();
            lines.add(kv + " ".repeat(width - kv.length() + 2) + o.description());
        }
        return lines;
    }
}
