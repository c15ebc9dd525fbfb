package dev.sluice.api;

/**
 * Where a plugin writes its log, through Sluice's logging (so plugins need no
 * logging library). Each plugin gets its own logger, named after it.
 *
 * <p>{@code decide} runs for every new flow: log there only at debug level,
 * guarded by {@link #isDebugEnabled()}. Refused flows need no log line of the
 * plugin's own: Sluice's audit log records each with the verdict's reason.
 */
public interface PluginLogger {
    boolean isDebugEnabled();

    void debug(String message);

    void info(String message);

    void warn(String message);

    void warn(String message, Throwable cause);

    void error(String message, Throwable cause);
}
