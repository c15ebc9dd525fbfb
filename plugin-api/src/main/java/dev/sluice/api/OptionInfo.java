package dev.sluice.api;

import java.util.Objects;

/**
 * Documentation of one plugin option, shown by {@code sluice --list-plugins}.
 *
 * @param key         the option's name, as in {@code KEY=VALUE}
 * @param value       what the value looks like, e.g. {@code "PORT[,PORT...]"} or {@code "reject|drop"}
 * @param description what it does and its default, in one line
 */
public record OptionInfo(String key, String value, String description) {
    public OptionInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(description, "description");
    }
}
