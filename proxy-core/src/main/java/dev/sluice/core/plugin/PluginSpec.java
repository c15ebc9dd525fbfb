package dev.sluice.core.plugin;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One {@code --plugin NAME[:KEY=VALUE[,KEY=VALUE...]]} argument.
 *
 * <p>The name ends at the first {@code :}, so values may hold colons
 * ({@code source=fd00::1}). Options are split at commas; an item without
 * {@code =} continues the previous value, so lists need no quoting:
 * {@code deny-port:ports=22,2222,mode=drop} gives {@code ports="22,2222"} and
 * {@code mode="drop"}. Values may be empty ({@code key=}); keys may not repeat.
 * Keys may be addresses or prefixes ({@code 10.99.0.0/24=eth1,fd99::/64=eth1}).
 *
 * @param name    the plugin's name
 * @param options the options in the order given (unmodifiable)
 */
public record PluginSpec(String name, Map<String, String> options) {
    /** What plugin names look like; providers with other names are refused at discovery. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    /** Keys may also hold ':' and '/' so that an address or prefix can be one ({@code 10.99.0.0/24=eth1}, {@code fd99::/64=eth1}). */
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9:][A-Za-z0-9._:/-]*");

    public PluginSpec {
        Objects.requireNonNull(name, "name");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /**
     * Parses one {@code --plugin} value.
     *
     * @throws IllegalArgumentException with a message naming the argument and what is wrong with it
     */
    public static PluginSpec parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("--plugin needs a plugin name: NAME[:KEY=VALUE[,KEY=VALUE...]]");
        }
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        if (name.isEmpty()) {
            throw bad(spec, "the plugin name is missing before ':'");
        }
        if (!NAME.matcher(name).matches()) {
            throw bad(spec, "\"" + name + "\" is not a plugin name (lowercase letters, digits, '.', '_', '-')");
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            String rest = spec.substring(colon + 1);
            if (rest.isEmpty()) {
                throw bad(spec, "nothing after ':' (drop the ':' or give KEY=VALUE options)");
            }
            String lastKey = null;
            for (String item : rest.split(",", -1)) {
                if (item.isEmpty()) {
                    throw bad(spec, "empty option between commas");
                }
                int eq = item.indexOf('=');
                if (eq < 0) {
                    if (lastKey == null) {
                        throw bad(spec, "expected KEY=VALUE, got \"" + item + "\"");
                    }
                    options.put(lastKey, options.get(lastKey) + "," + item);
                    continue;
                }
                String key = item.substring(0, eq);
                if (key.isEmpty()) {
                    throw bad(spec, "option without a name in \"" + item + "\"");
                }
                if (!KEY.matcher(key).matches()) {
                    throw bad(spec, "\"" + key + "\" is not an option name (letters, digits, '.', '_', '-', ':', '/')");
                }
                if (options.containsKey(key)) {
                    throw bad(spec, "option \"" + key + "\" is given twice");
                }
                options.put(key, item.substring(eq + 1));
                lastKey = key;
            }
        }
        return new PluginSpec(name, options);
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("invalid --plugin \"" + spec + "\": " + why);
    }

    /** The argument form, {@code NAME[:KEY=VALUE,...]}; {@code parse(toString())} gives an equal spec. */
    @Override
    public String toString() {
        if (options.isEmpty()) {
            return name;
        }
        StringBuilder sb = new StringBuilder(name).append(':');
        String sep = "";
        for (Map.Entry<String, String> e : options.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = ",";
        }
        return sb.toString();
    }
}
