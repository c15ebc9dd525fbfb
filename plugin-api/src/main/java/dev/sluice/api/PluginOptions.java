package dev.sluice.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options a user gave a plugin: {@code --plugin NAME:KEY=VALUE,KEY=VALUE}.
 * A value may itself hold commas ({@code ports=22,2222,mode=drop} gives
 * {@code ports} the value {@code "22,2222"}): a comma-separated item without
 * {@code =} continues the previous value.
 *
 * <p>Immutable. The typed getters throw {@link IllegalArgumentException} with
 * a message meant for the user ({@code option "ports": "x" is not a number});
 * thrown out of {@link FlowFilterProvider#create(FilterContext)} it becomes
 * the startup error Sluice prints, prefixed with the plugin's name. Call
 * {@link #requireKnown(String...)} first so that a typo is reported as one.
 */
public final class PluginOptions {
    private static final PluginOptions EMPTY = new PluginOptions(Map.of());

    private final Map<String, String> values;

    private PluginOptions(Map<String, String> values) {
        this.values = values;
    }

    /** Options from a map (order kept); for Sluice and for plugin tests. */
    public static PluginOptions of(Map<String, String> values) {
        if (values.isEmpty()) {
            return EMPTY;
        }
        Map<String, String> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(requireNonNull(k, "option name"), requireNonNull(v, "option value")));
        return new PluginOptions(Collections.unmodifiableMap(copy));
    }

    /** No options. */
    public static PluginOptions empty() {
        return EMPTY;
    }

    private static String requireNonNull(String s, String what) {
        if (s == null) {
            throw new NullPointerException(what);
        }
        return s;
    }

    /** All options in the order given; unmodifiable. */
    public Map<String, String> asMap() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /**
     * Fails on any option not named here, so a misspelt option is an error
     * rather than silently ignored.
     *
     * @return this, for chaining
     * @throws IllegalArgumentException naming the first unknown option and the known ones
     */
    public PluginOptions requireKnown(String... known) {
        return requireKnown(Arrays.asList(known));
    }

    /** As {@link #requireKnown(String...)}. */
    public PluginOptions requireKnown(Collection<String> known) {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                if (known.isEmpty()) {
                    throw new IllegalArgumentException("unknown option \"" + key + "\": this plugin takes no options");
                }
                throw new IllegalArgumentException("unknown option \"" + key + "\" (known options: "
                        + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
        return this;
    }

    /** The raw value, if given. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** The raw value, or {@code defaultValue} when not given. */
    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    /**
     * The raw value of an option the plugin cannot do without.
     *
     * @throws IllegalArgumentException if it was not given
     */
    public String require(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("option \"" + key + "\" is required");
        }
        return v;
    }

    /**
     * An integer option within {@code [min, max]}.
     *
     * @throws IllegalArgumentException if it is not a decimal integer in range
     */
    public int getInt(String key, int defaultValue, int min, int max) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        return parseInt(key, v.trim(), min, max);
    }

    /**
     * Parses {@code text} as a decimal integer within {@code [min, max]}, with
     * the same messages as {@link #getInt}; handy for items of {@link #getList}.
     */
    public static int parseInt(String key, String text, int min, int max) {
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option \"" + key + "\": \"" + text + "\" is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("option \"" + key + "\": " + text + " is not between " + min + " and " + max);
        }
        return (int) n;
    }

    /**
     * A boolean option: {@code true/false}, {@code yes/no}, {@code on/off} or {@code 1/0}, any case.
     *
     * @throws IllegalArgumentException for anything else
     */
    public boolean getBoolean(String key, boolean defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> {
                return true;
            }
            case "false", "no", "off", "0" -> {
                return false;
            }
            default -> throw new IllegalArgumentException("option \"" + key + "\": \"" + v + "\" is not true or false");
        }
    }

    /**
     * One of an enum's constants, matched without regard to case
     * ({@code mode=drop} for {@code Mode.DROP}).
     *
     * @throws IllegalArgumentException listing the allowed values
     */
    public <E extends Enum<E>> E getEnum(String key, Class<E> type, E defaultValue) {
        String v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.trim())) {
                return e;
            }
        }
        Set<String> allowed = new TreeSet<>();
        for (E e : type.getEnumConstants()) {
            allowed.add(e.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("option \"" + key + "\": \"" + v + "\" is not one of "
                + String.join(", ", allowed));
    }

    /**
     * A comma-separated list, items trimmed; empty when the option is absent.
     *
     * @throws IllegalArgumentException if an item is empty ({@code "22,,80"})
     */
    public List<String> getList(String key) {
        String v = values.get(key);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String item : v.split(",", -1)) {
            String t = item.trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("option \"" + key + "\": empty item in \"" + v + "\"");
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PluginOptions p && p.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
