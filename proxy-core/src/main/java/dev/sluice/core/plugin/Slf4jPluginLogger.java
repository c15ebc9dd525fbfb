package dev.sluice.core.plugin;

import dev.sluice.api.PluginLogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A plugin's {@link PluginLogger}: slf4j logger {@code sluice.plugin.LABEL}. */
final class Slf4jPluginLogger implements PluginLogger {
    private final Logger log;

    Slf4jPluginLogger(String label) {
        this.log = LoggerFactory.getLogger("sluice.plugin." + label);
    }

    @Override
    public boolean isDebugEnabled() {
        return log.isDebugEnabled();
    }

    @Override
    public void debug(String message) {
        log.debug(message);
    }

    @Override
    public void info(String message) {
        log.info(message);
    }

    @Override
    public void warn(String message) {
        log.warn(message);
    }

    @Override
    public void warn(String message, Throwable cause) {
        log.warn(message, cause);
    }

    @Override
    public void error(String message, Throwable cause) {
        log.error(message, cause);
    }
}
