package dev.sluice.core.control;

import dev.sluice.core.plugin.AuditEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --audit-log FILE}: every audit event as one JSON line, for a SIEM.
 * The packet loop only offers events to a bounded queue (never blocks; a full
 * queue drops the event and counts it); a thread of its own writes them.
 * Rotation by size: past {@link #MAX_BYTES} the file is renamed to
 * {@code FILE.1} (older ones shift up to {@code FILE.}{@link #KEEP}, the oldest
 * removed) and a new FILE is started, so a reader holding the old file open
 * reads it to its end and a shipper following by name sees the new one.
 * Files are created mode 0600.
 */
final class AuditFile implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditFile.class);
    static final long MAX_BYTES = 10L << 20;
    static final int KEEP = 5;
    static final int QUEUE = 4096;
    private static final AuditEvent STOP = new AuditEvent(0, "", "", null, null, null, 0, "", "", 0);

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private OutputStream out;
    private long size;

    /** Opens (creates or appends to) the file now, so a bad path fails at startup. */
    AuditFile(Path file, long maxBytes, int keep) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        open();
        thread = new Thread(this::run, "sluice-audit-log");
        thread.setDaemon(true);
        thread.start();
    }

    private void open() throws IOException {
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // appended to below
            }
        }
        out = Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        size = Files.size(file);
    }

    /** From the packet loop: never blocks. False when the queue was full (the event is counted as dropped). */
    boolean offer(AuditEvent e) {
        if (queue.offer(e)) {
            return true;
        }
        dropped.incrementAndGet();
        return false;
    }

    long dropped() {
        return dropped.get();
    }

    private void run() {
        long reportedDrops = 0;
        try {
            while (true) {
                AuditEvent e = queue.take();
                if (e == STOP) {
                    break;
                }
                write(Render.auditJson(e));
                if (queue.isEmpty()) {
                    out.flush();
                    long d = dropped.get();
                    if (d != reportedDrops) {
                        log.warn("--audit-log: {} events dropped so far (the writer fell behind)", d);
                        reportedDrops = d;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.error("--audit-log {}: {}; no more audit lines are written there", file, e.toString());
        } finally {
            try {
                out.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }

    private void write(String line) throws IOException {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        if (size > 0 && size + b.length > maxBytes) {
            rotate();
        }
        out.write(b);
        size += b.length;
    }

    private void rotate() throws IOException {
        out.close();
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        Files.deleteIfExists(dir.resolve(name + "." + keep));
        for (int i = keep - 1; i >= 1; i--) {
            Path from = dir.resolve(name + "." + i);
            if (Files.exists(from)) {
                Files.move(from, dir.resolve(name + "." + (i + 1)), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.move(file, dir.resolve(name + ".1"), StandardCopyOption.ATOMIC_MOVE);
        open();
    }

    /** Writes what is queued, then stops. */
    @Override
    public void close() {
        try {
            queue.put(STOP);
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
