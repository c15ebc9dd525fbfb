package dev.sluice.core.plugin;

/**
 * A plugin problem found at startup: a broken or duplicate plugin during
 * discovery, an unknown plugin name, options a plugin refused, a plugin that
 * failed to start. The message is written for the user; the CLI prints it and
 * exits with status 2.
 */
public final class PluginException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
