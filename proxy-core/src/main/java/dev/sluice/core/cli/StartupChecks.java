package dev.sluice.core.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks on the files an invocation names, made before anything starts, so a
 * bad path is one line naming the option (exit 2) and never a half-started
 * instance: nothing that is not a socket is replaced by {@code -s}, the pid
 * file's and log file's directories must exist and be writable, an
 * {@code @FILE} must be readable.
 */
final class StartupChecks {
    private StartupChecks() {
    }

    /** The first top-level {@code @FILE} that cannot be read, as a message; null when all can. */
    static String unreadableArgFile(String[] args) {
        for (String a : args) {
            if (a.equals("--")) {
                return null;
            }
            if (a.startsWith("@") && !a.startsWith("@@") && a.length() > 1) {
                Path p = Path.of(a.substring(1));
                if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                    String why = !Files.exists(p) ? "no such file" : Files.isDirectory(p) ? "is a directory"
                            : "permission denied";
                    return "cannot read option file '" + a.substring(1) + "': " + why;
                }
            }
        }
        return null;
    }

    static void files(Path socket, Path pidFile, Path logFile) {
        if (socket != null && socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
            throw new SluiceCommand.UsageError("option '--socket': " + socket
                    + " is longer than the 107 bytes a UNIX socket path may have");
        }
        if (socket != null && Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && !isSocket(socket)) {
            throw new SluiceCommand.UsageError("option '--socket': " + socket
                    + " exists and is not a socket; refusing to replace it");
        }
        writable("--pid", pidFile);
        writable("--log-file", logFile);
        if (logFile != null) {
            // slf4j-simple would print a stack trace and log to stderr instead: open it here first.
            try (FileChannel c = FileChannel.open(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                c.size();
            } catch (IOException | RuntimeException e) {
                throw new SluiceCommand.UsageError("option '--log-file': cannot write " + logFile + ": " + oneLine(e));
            }
        }
    }

    private static void writable(String option, Path file) {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new SluiceCommand.UsageError("option '" + option + "': directory " + parent + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new SluiceCommand.UsageError("option '" + option + "': " + file + " is a directory");
        }
        if (parent != null && !Files.isWritable(parent) && !Files.isWritable(file)) {
            throw new SluiceCommand.UsageError("option '" + option + "': cannot write in " + parent
                    + ": permission denied");
        }
    }

    /** S_IFSOCK, without following a link. */
    static boolean isSocket(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A failure as one line: its message (first line), else its class's simple name. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl).trim() : m;
    }
}
