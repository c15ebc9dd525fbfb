package dev.sluice.plugins.vmisolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The registry directory: one {@code *.fwd} file per instance, written
 * atomically (a hidden temporary file renamed over the final name), so a
 * reader sees a whole entry or none. Plain file operations; whoever calls
 * them is off the event loop.
 */
final class Registry {
    static final String SUFFIX = ".fwd";
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    /** A file found by {@link #scan}: its entry, or why it could not be read. */
    record Found(Path file, RegistryEntry entry, String error) {
    }

    private final Path dir;

    Registry(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    /**
     * A file name for an instance: its id (made file-name safe) and a random
     * part, so two filters in one process, or a restarted instance with an
     * old stale file, never share a name.
     */
    static String fileName(String id) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < id.length() && sb.length() < 64; i++) {
            char c = id.charAt(i);
            sb.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    ? c : '_');
        }
        if (sb.length() == 0) {
            sb.append("instance");
        }
        return sb.append('.').append(Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1)).append(SUFFIX)
                .toString();
    }

    /**
     * A root Sluice leaves root once set up (the core's {@code sluice.runas} property says for whom):
     * what it creates here is given to that user, so that the instance can still republish and
     * remove its entry (a directory it did not create must let that user write, e.g. mode 1777).
     */
    private static void handOver(Path p) {
        String ids = System.getProperty("sluice.runas");
        int colon = ids != null ? ids.indexOf(':') : -1;
        if (colon < 0) {
            return;
        }
        try {
            Files.setAttribute(p, "unix:uid", Integer.parseUnsignedInt(ids.substring(0, colon)), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", Integer.parseUnsignedInt(ids.substring(colon + 1)), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            // not root (any more): what we create is ours already
        }
    }

    /** Creates the directory (mode 0755, given to the user Sluice will run as) when it does not exist yet. */
    void createDirectory() throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
            handOver(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /** Writes {@code entry} as {@code name} atomically; creates the directory if needed. */
    Path publish(String name, RegistryEntry entry) throws IOException {
        createDirectory();
        Path target = dir.resolve(name);
        Path tmp = dir.resolve("." + name + ".tmp");
        try {
            Files.writeString(tmp, entry.format(), StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(tmp, FILE_MODE);
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default mode
            }
            handOver(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /**
     * Reads every {@code *.fwd} file but {@code skip} (hidden files are
     * temporaries and ignored). A file that vanishes during the scan is left
     * out; one that cannot be parsed is reported with its error.
     *
     * @throws IOException if the directory cannot be listed
     */
    List<Found> scan(Path skip) throws IOException {
        List<Found> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || p.equals(skip)) {
                    continue;
                }
                try {
                    if (Files.size(p) > RegistryEntry.MAX_BYTES) {
                        out.add(new Found(p, null, "larger than " + RegistryEntry.MAX_BYTES + " bytes"));
                        continue;
                    }
                    out.add(new Found(p, RegistryEntry.parse(Files.readString(p, StandardCharsets.UTF_8)), null));
                } catch (NoSuchFileException e) {
                    // removed since the listing: its instance left
                } catch (IOException e) {
                    out.add(new Found(p, null, e.toString()));
                } catch (IllegalArgumentException e) {
                    out.add(new Found(p, null, e.getMessage()));
                }
            }
        }
        return out;
    }
}
