package dev.sluice.core.control;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The observability options, validated.
 *
 * @param socket        {@code --control PATH}; null for the default path ({@link ControlPaths#defaultPath})
 * @param enabled       false for {@code --control none}
 * @param auditLog      {@code --audit-log FILE}, or null
 * @param metricsListen {@code --metrics-listen ADDR:PORT}, or null
 */
public record ControlConfig(Path socket, boolean enabled, Path auditLog, InetSocketAddress metricsListen) {
    /** The behaviour without any of the options: a control socket at the default path, nothing else. */
    public static final ControlConfig DEFAULT = new ControlConfig(null, true, null, null);
    /** Nothing at all (embedding, tests). */
    public static final ControlConfig NONE = new ControlConfig(null, false, null, null);
}
