package dev.sluice.core.link;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The path a guest link listens on (stream or vhost-user): a stale socket left by a dead
 * process is removed, a live one is refused, and anything that is not a socket is never
 * touched — it is the operator's file.
 */
public final class ListenPath {
    private ListenPath() {
    }

    /** Makes {@code path} free to bind, or says why it cannot be. */
    public static void claim(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!isSocket(path)) {
            throw new IOException(path + " exists and is not a socket; refusing to replace it");
        }
        if (isLive(path)) {
            throw new IOException("socket " + path + " is in use by another process");
        }
        Files.delete(path);
    }

    /** True for a UNIX socket (not following links). */
    public static boolean isSocket(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** True when something accepts connections on the socket at {@code p}. */
    public static boolean isLive(Path p) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(p));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
