package dev.sluice.core.control;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Where control sockets live by default, so a client finds an instance
 * without being told: {@code /run/sluice/PID.ctl} for root,
 * {@code $XDG_RUNTIME_DIR/sluice/PID.ctl} for other users, or
 * {@code /tmp/sluice-UID/PID.ctl} without {@code XDG_RUNTIME_DIR}. One
 * directory per user in both modes (stream and tap): a client lists it, and
 * the directory is the user's alone (0700) — except root's: an instance
 * started as root leaves root once set up and must still remove its socket at
 * exit, so {@code /run/sluice} is 1733 (sticky, like /tmp, but not listable by
 * others) and the socket is handed to the user Sluice becomes. Clients trust
 * only a socket owned by root or by the user its instance runs as.
 */
public final class ControlPaths {
    static final String SUFFIX = ".ctl";

    private ControlPaths() {
    }

    /** This process's effective uid, as the kernel reports it for /proc/self. */
    public static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** The default directory of this user's control sockets. */
    public static Path defaultDir() {
        int uid = uid();
        if (uid == 0) {
            return Path.of("/run/sluice");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "sluice");
        }
        return Path.of("/tmp", "sluice-" + uid);
    }

    /** This instance's default control socket path. */
    public static Path defaultPath(long pid) {
        return defaultDir().resolve(pid + SUFFIX);
    }

    /**
     * Creates {@code dir} (mode 0700) when missing; refuses one that is a
     * symbolic link or owned by someone else (a shared /tmp).
     */
    static void ensurePrivateDir(Path dir) throws IOException {
        boolean rootDir = uid() == 0 && dir.equals(Path.of("/run/sluice"));
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made by a concurrent instance: checked below
            }
        }
        if (rootDir) {
            // the sticky bit cannot be set through PosixFilePermissions
            Files.setAttribute(dir, "unix:mode", 01733, LinkOption.NOFOLLOW_LINKS);
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory");
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != uid()) {
            throw new IOException(dir + " belongs to uid " + owner + ", not to this user");
        }
    }

    /** The socket belongs to root or to the user process {@code pid} runs as (not planted by another user). */
    static boolean ownedByItsInstance(Path socket, long pid) {
        try {
            int owner = (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner == 0) {
                return true;
            }
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]) == owner;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or unreadable: not one to trust
        }
        return false;
    }

    /** Control sockets in the default directory whose instance (named by the file) is still alive. */
    public static List<Path> live() {
        List<Path> out = new ArrayList<>();
        Path dir = defaultDir();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                try {
                    long pid = Long.parseLong(n.substring(0, n.length() - SUFFIX.length()));
                    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && ownedByItsInstance(p, pid)) {
                        out.add(p);
                    }
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        } catch (IOException e) {
            return out;
        }
        out.sort(null);
        return out;
    }
}
