package dev.sluice.core.control;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The client side of the control socket, for the {@code sluice status|flows|
 * audit|metrics} subcommands: finds the instance, sends one request line and
 * copies the answer to standard output. The server renders everything; the
 * client parses nothing but an {@code error:} first line.
 */
public final class ControlClient {
    private ControlClient() {
    }

    /** The socket to use: {@code given}, or the only live one in the default directory. */
    static Path resolve(Path given) throws NoInstance {
        if (given != null) {
            if (!Files.exists(given)) {
                throw new NoInstance("no control socket at " + given + " (is Sluice running with --control " + given + "?)");
            }
            return given;
        }
        List<Path> live = ControlPaths.live();
        if (live.isEmpty()) {
            throw new NoInstance("no running Sluice instance found in " + ControlPaths.defaultDir()
                    + " (start one, or give --control PATH)");
        }
        if (live.size() > 1) {
            throw new NoInstance(live.size() + " Sluice instances in " + ControlPaths.defaultDir() + " ("
                    + String.join(", ", live.stream().map(p -> p.getFileName().toString()).toList())
                    + "): choose one with --control PATH");
        }
        return live.get(0);
    }

    /** Why a client cannot reach an instance: one line, exit status 1. */
    public static final class NoInstance extends Exception {
        NoInstance(String message) {
            super(message);
        }
    }

    /**
     * Sends {@code request} and copies the answer to {@code out} until the
     * server closes (for {@code audit follow}: until the instance stops or
     * this process is interrupted).
     *
     * @return the exit status: 0, or 1 after printing one line to {@code err}
     */
    public static int run(Path control, String request, OutputStream out, PrintWriter err) {
        Path p;
        try {
            p = resolve(control);
        } catch (NoInstance e) {
            err.println("sluice: " + e.getMessage());
            err.flush();
            return 1;
        }
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                c.connect(UnixDomainSocketAddress.of(p));
            } catch (IOException e) {
                err.println("sluice: cannot connect to " + p + ": " + e.getMessage()
                        + (e.getMessage() != null && e.getMessage().contains("refused") ? " (the instance is gone?)" : ""));
                err.flush();
                return 1;
            }
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            boolean first = true;
            while (c.read(buf) >= 0) {
                if (first) {
                    if (buf.position() < 7 && buf.position() > 0) {
                        continue; // too short to tell an error line yet
                    }
                    first = false;
                    String head = new String(buf.array(), 0, Math.min(buf.position(), 7), StandardCharsets.US_ASCII);
                    if (head.equals("error: ")) {
                        return serverError(c, buf, err);
                    }
                }
                out.write(buf.array(), 0, buf.position());
                out.flush();
                buf.clear();
            }
            if (first && buf.position() > 0) {
                out.write(buf.array(), 0, buf.position());
            }
            out.flush();
            return 0;
        } catch (IOException e) {
            err.println("sluice: control socket " + p + ": " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private static int serverError(SocketChannel c, ByteBuffer buf, PrintWriter err) throws IOException {
        while (buf.hasRemaining() && c.read(buf) >= 0) {
            // the error line is short; read to its end
        }
        String msg = new String(buf.array(), 7, buf.position() - 7, StandardCharsets.UTF_8).strip();
        err.println("sluice: " + msg);
        err.flush();
        return 1;
    }
}
