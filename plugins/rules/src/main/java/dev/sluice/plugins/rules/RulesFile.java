package dev.sluice.plugins.rules;

import dev.sluice.api.PluginLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A rules file and the thread that notices it change. A plugin cannot own
 * signals (the JVM has one SIGHUP handler, and it is Sluice's), so the file
 * is watched instead: its directory with a {@link WatchService} (inotify on
 * Linux; renames over the file, as editors and configuration tools do, are
 * seen too) and, in case events are lost or the file system sends none,
 * its modification time, size and inode compared every second. After an
 * event the thread waits for {@value #QUIET_MS} ms of quiet so that a file
 * being written is read once it is complete.
 *
 * <p>A file that cannot be read or parsed changes nothing: the rules loaded
 * before stay in force and the reason, with the line number, is logged once
 * per content.
 */
final class RulesFile implements AutoCloseable {
    private static final long POLL_MS = 1000;
    private static final long QUIET_MS = 150;

    private final Path path;
    private final PluginLogger log;
    private final Consumer<RuleSet> publish;
    private Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;

    /** Guarded by this: what was last read (loaded or refused), and the rules in force. */
    private byte[] lastContent;
    private int loadedRules = -1;
    private Object lastStamp;

    RulesFile(Path path, PluginLogger log, Consumer<RuleSet> publish) {
        this.path = path.toAbsolutePath();
        this.log = log;
        this.publish = publish;
    }

    /** The first load, at startup: any problem is the user's error. */
    synchronized void loadFirst() {
        byte[] content;
        try {
            lastStamp = stamp();
            content = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("option \"file\": cannot read " + path + ": " + e);
        }
        RuleSet set = parse(content);
        lastContent = content;
        install(set);
    }

    private RuleSet parse(byte[] content) {
        RuleParser.Parsed p = RuleParser.parseFile(path.toString(), new String(content, StandardCharsets.UTF_8),
                Rule.Action.PASS);
        return RuleSet.compile(p.rules(), p.defaultAction());
    }

    private void install(RuleSet set) {
        publish.accept(set);
        loadedRules = set.size();
        log.info("loaded " + set.size() + " rules from " + path + ", default " + RuleSet.name(set.defaultAction()));
    }

    /**
     * Reads the file again and, if it changed and is valid, publishes its rules.
     *
     * @return false if the file could not be read or parsed (the old rules stay)
     */
    synchronized boolean reload() {
        byte[] content;
        try {
            lastStamp = stamp();
            content = Files.readAllBytes(path);
        } catch (IOException e) {
            if (lastContent != null) {
                log.warn("cannot read " + path + " (" + e.getMessage() + "); keeping the " + loadedRules
                        + " rules loaded before");
                lastContent = null;
            }
            return false;
        }
        if (Arrays.equals(content, lastContent)) {
            return true;
        }
        lastContent = content;
        try {
            install(parse(content));
            return true;
        } catch (IllegalArgumentException e) {
            log.warn(e.getMessage() + "; keeping the " + loadedRules + " rules loaded before");
            return false;
        }
    }

    private Object stamp() throws IOException {
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
        return Arrays.asList(a.lastModifiedTime(), a.size(), a.fileKey());
    }

    private boolean stampChanged() {
        Object now;
        try {
            now = stamp();
        } catch (IOException e) {
            now = null;
        }
        synchronized (this) {
            return !Objects.equals(now, lastStamp);
        }
    }

    void start() {
        try {
            watch = FileSystems.getDefault().newWatchService();
            path.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            log.warn("cannot watch " + path.getParent() + " (" + e.getMessage() + "); checking " + path
                    + " every second instead");
            closeWatch();
        }
        thread = new Thread(this::run, "sluice-rules-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                boolean event = false;
                WatchService w = watch;
                if (w != null) {
                    WatchKey key = w.poll(POLL_MS, TimeUnit.MILLISECONDS);
                    // Drain until quiet: a file being written fires several events.
                    while (key != null) {
                        for (var e : key.pollEvents()) {
                            event |= e.kind() == StandardWatchEventKinds.OVERFLOW
                                    || path.getFileName().equals(e.context());
                        }
                        key.reset();
                        key = w.poll(QUIET_MS, TimeUnit.MILLISECONDS);
                    }
                } else {
                    Thread.sleep(POLL_MS);
                }
                if (event || stampChanged()) {
                    reload();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("watching " + path + " failed; checking again in a second", e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        closeWatch();
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void closeWatch() {
        if (watch != null) {
            try {
                watch.close();
            } catch (IOException e) {
                // nothing left to release
            }
            watch = null;
        }
    }
}
