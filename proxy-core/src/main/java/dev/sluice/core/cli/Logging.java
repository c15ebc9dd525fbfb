package dev.sluice.core.cli;

import java.nio.file.Path;

/**
 * Configures slf4j-simple through its system properties. Must run before the
 * first logger is created, which is why the CLI parses options without logging.
 */
final class Logging {
    enum Level { TRACE, DEBUG, INFO, WARN }

    private Logging() {
    }

    static void configure(Level level, Path logFile) {
        set("org.slf4j.simpleLogger.defaultLogLevel", level.name().toLowerCase());
        set("org.slf4j.simpleLogger.logFile", logFile != null ? logFile.toAbsolutePath().toString() : "System.err");
        set("org.slf4j.simpleLogger.showDateTime", "true");
        set("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        set("org.slf4j.simpleLogger.showThreadName", "false");
        set("org.slf4j.simpleLogger.showShortLogName", "true");
        set("org.slf4j.simpleLogger.levelInBrackets", "true");
        // netty's own chatter stays at info unless tracing.
        set("org.slf4j.simpleLogger.log.io.netty", level == Level.TRACE ? "debug" : level == Level.WARN ? "warn" : "info");
        // netty names channels after a MAC address of the host and warns, on every start, in a
        // namespace without one (a container's, Podman's); the id only labels channels in logs.
        if (System.getProperty("io.netty.machineId") == null) {
            byte[] id = new byte[8];
            new java.util.Random().nextBytes(id);
            id[0] |= 0x02; // locally administered, as a made-up MAC would be
            StringBuilder sb = new StringBuilder();
            for (byte b : id) {
                sb.append(sb.length() > 0 ? ":" : "").append(String.format("%02x", b & 0xff));
            }
            System.setProperty("io.netty.machineId", sb.toString());
        }
        // pf4j announces every plugin it resolves at info: Sluice logs what matters itself.
        set("org.slf4j.simpleLogger.log.org.pf4j", level == Level.TRACE ? "debug" : "warn");
    }

    private static void set(String k, String v) {
        if (System.getProperty(k) == null) {
            System.setProperty(k, v);
        }
    }
}
