package dev.sluice.plugins.vmisolation;

import dev.sluice.api.PluginLogger;
import dev.sluice.api.PortForward;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Keeps this instance's entry in the registry and the {@link PortIndex} of
 * the live instances current, on a daemon thread of its own: the event loop
 * only reads {@link #index()}, a volatile field.
 *
 * <p>The thread rescans the directory when inotify (a {@link WatchService})
 * reports a change, so a new or departing instance is seen within
 * milliseconds, and at least every {@code rescanMillis} anyway, which is how
 * instances that died without removing their file are noticed (no file
 * event marks a process's death) and what keeps working where inotify does
 * not (network file systems). Each rescan also puts this instance's own file
 * back if someone removed it, and deletes the files of instances that are
 * definitely dead.
 *
 * <p>The own file is removed by {@link #close()} and, should the JVM exit
 * without closing the filter, by a shutdown hook. A lock (never taken on the
 * event loop) keeps a rescan from re-publishing the file after removal.
 */
final class RegistryWatcher implements AutoCloseable {
    private final Registry registry;
    private final RegistryEntry self;
    private final Path ownFile;
    private final long rescanMillis;
    private final PluginLogger log;
    private final Liveness liveness;
    private final Object fileLock = new Object();
    private final Object scanLock = new Object();
    private volatile PortIndex index;
    private volatile boolean stopping;
    private boolean withdrawn; // guarded by fileLock
    private final Thread thread;
    private final Thread hook;
    private WatchService watchService;
    private WatchKey watchKey; // the thread's (and the constructor's) alone
    // Guarded by scanLock: what the last scan found, for logging changes only.
    private Map<Path, RegistryEntry> known = Map.of();
    private final Set<Path> warned = new HashSet<>();
    private boolean scanFailing;

    private RegistryWatcher(Registry registry, RegistryEntry self, long rescanMillis, PluginLogger log,
                            Liveness liveness) {
        this.registry = registry;
        this.self = self;
        this.ownFile = registry.dir().resolve(Registry.fileName(self.id()));
        this.rescanMillis = rescanMillis;
        this.log = log;
        this.liveness = liveness;
        this.thread = new Thread(this::run, "vm-isolation-registry");
        this.thread.setDaemon(true);
        this.hook = new Thread(this::withdraw, "vm-isolation-withdraw");
    }

    /**
     * Publishes {@code self}, scans the registry once (so the first flow is
     * already decided on current data) and starts watching.
     *
     * @throws IOException if the directory cannot be created or the entry not written
     */
    static RegistryWatcher start(Registry registry, RegistryEntry self, long rescanMillis, PluginLogger log,
                                 Liveness liveness) throws IOException {
        RegistryWatcher w = new RegistryWatcher(registry, self, rescanMillis, log, liveness);
        registry.publish(w.ownFile.getFileName().toString(), self);
        try {
            try {
                w.watchService = registry.dir().getFileSystem().newWatchService();
                w.register();
            } catch (IOException | UnsupportedOperationException e) {
                log.warn("cannot watch " + registry.dir() + " (" + e + "); rescanning every " + rescanMillis
                        + " ms only");
            }
            w.refresh();
            Runtime.getRuntime().addShutdownHook(w.hook);
            w.thread.start();
            return w;
        } catch (RuntimeException | Error e) {
            w.close();
            throw e;
        }
    }

    /** The current snapshot; safe on any thread, never blocks. */
    PortIndex index() {
        return index;
    }

    Path ownFile() {
        return ownFile;
    }

    private void register() throws IOException {
        if (watchService != null && (watchKey == null || !watchKey.isValid())) {
            watchKey = registry.dir().register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
        }
    }

    private void run() {
        try {
            while (!stopping) {
                if (watchService == null) {
                    Thread.sleep(rescanMillis);
                } else {
                    WatchKey key = watchService.poll(rescanMillis, TimeUnit.MILLISECONDS);
                    // Drain everything pending: one rescan answers all of it.
                    while (key != null) {
                        key.pollEvents();
                        key.reset();
                        key = watchService.poll();
                    }
                }
                if (stopping) {
                    break;
                }
                try {
                    refresh();
                } catch (RuntimeException e) {
                    log.error("registry rescan failed; keeping the previous view", e);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** One rescan: put the own file back if it is missing, read the others, publish a new index. */
    void refresh() {
        synchronized (scanLock) {
            republishIfMissing();
            if (watchService != null && (watchKey == null || !watchKey.isValid())) {
                try {
                    register(); // the directory was removed and is back
                } catch (IOException | ClosedWatchServiceException e) {
                    // rescans go on regardless
                }
            }
            List<Registry.Found> found;
            try {
                found = registry.scan(ownFile);
                if (scanFailing) {
                    scanFailing = false;
                    log.info("registry " + registry.dir() + " is readable again");
                }
            } catch (IOException e) {
                if (!scanFailing) {
                    scanFailing = true;
                    log.warn("cannot read registry " + registry.dir() + " (" + e + "); keeping the last view");
                }
                if (index == null) {
                    index = PortIndex.build(self, List.of());
                }
                return;
            }
            Map<Path, RegistryEntry> live = new LinkedHashMap<>();
            Set<Path> seen = new HashSet<>();
            for (Registry.Found f : found) {
                seen.add(f.file());
                if (f.entry() == null) {
                    if (warned.add(f.file())) {
                        log.warn("ignoring registry file " + f.file() + ": " + f.error());
                    }
                    continue;
                }
                Liveness.State state = liveness.check(f.entry());
                if (state == Liveness.State.DEAD) {
                    removeStale(f);
                    continue;
                }
                live.put(f.file(), f.entry());
            }
            warned.retainAll(seen);
            index = PortIndex.build(self, List.copyOf(live.values()));
            logChanges(live);
            known = live;
        }
    }

    private void republishIfMissing() {
        synchronized (fileLock) {
            if (withdrawn || Files.exists(ownFile)) {
                return;
            }
            try {
                registry.publish(ownFile.getFileName().toString(), self);
                log.warn("registry entry " + ownFile + " had been removed; published it again");
            } catch (IOException e) {
                log.warn("cannot publish registry entry " + ownFile + ": " + e);
            }
        }
    }

    private void removeStale(Registry.Found f) {
        try {
            if (Files.deleteIfExists(f.file()) && log.isDebugEnabled()) {
                log.debug("removed the entry of dead instance " + f.entry().id() + " (pid " + f.entry().pid() + "): "
                        + f.file());
            }
        } catch (IOException e) {
            // not ours to delete (another user's, read-only): it stays ignored all the same
        }
    }

    private void logChanges(Map<Path, RegistryEntry> live) {
        for (Map.Entry<Path, RegistryEntry> e : live.entrySet()) {
            RegistryEntry before = known.get(e.getKey());
            if (before == null || !before.equals(e.getValue())) {
                log.info("instance " + describe(e.getValue()) + (before == null ? " found" : " changed")
                        + " (" + e.getKey().getFileName() + ")");
            }
        }
        for (Map.Entry<Path, RegistryEntry> e : known.entrySet()) {
            if (!live.containsKey(e.getKey())) {
                log.info("instance " + e.getValue().id() + " (pid " + e.getValue().pid() + ") is gone");
            }
        }
    }

    /** {@code sluice-1234 (pid 1234) forwarding tcp 8022, udp 127.0.0.1:53}. */
    static String describe(RegistryEntry e) {
        return e.id() + " (pid " + e.pid() + ") forwarding " + describe(e.forwards());
    }

    static String describe(List<PortForward> forwards) {
        if (forwards.isEmpty()) {
            return "nothing";
        }
        List<String> parts = new ArrayList<>();
        for (PortForward f : forwards) {
            String ports = f.firstPort() == f.lastPort() ? Integer.toString(f.firstPort())
                    : f.firstPort() + "-" + f.lastPort();
            String where;
            if (f.address() == null) {
                where = ports;
            } else {
                String a = RegistryEntry.text(f.address());
                where = (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + ports;
            }
            parts.add(f.protocol().name().toLowerCase(java.util.Locale.ROOT) + " " + where);
        }
        return String.join(", ", parts);
    }

    /** Removes the own file for good (also the shutdown hook's job). */
    private void withdraw() {
        synchronized (fileLock) {
            withdrawn = true;
            try {
                Files.deleteIfExists(ownFile);
            } catch (IOException e) {
                log.warn("cannot remove registry entry " + ownFile + ": " + e);
            }
        }
    }

    /** Stops the thread and removes the own file. Idempotent; never throws. */
    @Override
    public void close() {
        stopping = true;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        if (watchService == null) {
            // Only the sleep needs waking; an interrupt could also abort a file read mid-scan.
            thread.interrupt();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        withdraw();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs or ran, and finds nothing left to do
        }
    }
}
