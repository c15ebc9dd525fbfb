package dev.sluice.core.host;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The helper of rootless tap mode: a second, short-lived JVM that util-linux
 * {@code nsenter --user --net} started inside the guest's user and network namespaces
 * (so every thread of it is there, as root of that user namespace), connected back to
 * Sluice over a private UNIX socket. It answers one-line requests, one at a time, with
 * {@code ok} or {@code err MESSAGE}, a descriptor attached where the request makes one:
 * <pre>
 *   tap NAME                  open /dev/net/tun, TUNSETIFF NAME      (fd)
 *   mac NAME HEX | up NAME MTU | addr NAME ADDR PREFIX | route NAME GW   (rtnetlink)
 *   socket 4|6 tcp|udp        a socket made in the namespace          (fd)
 * </pre>
 * It exits when Sluice closes the connection (or dies). Not a public entry point: the
 * class is started by {@link NsAgentClient} only.
 */
public final class NsAgent {
    private NsAgent() {
    }

    public static void main(String[] args) {
        int sock;
        try {
            sock = jnr.unixsocket.UnixSocketChannel.open(new jnr.unixsocket.UnixSocketAddress(new File(args[0])))
                    .getFD();
        } catch (IOException | RuntimeException e) {
            System.err.println("sluice namespace helper: cannot connect to " + args[0] + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        ByteBuffer buf = Native.direct(4096);
        FdPassing.Receiver rx = new FdPassing.Receiver();
        StringBuilder pending = new StringBuilder();
        try {
            while (true) {
                int nl = pending.indexOf("\n");
                if (nl >= 0) {
                    String line = pending.substring(0, nl);
                    pending.delete(0, nl + 1);
                    answer(sock, line);
                    continue;
                }
                if (!NsAgentClient.awaitReadable(sock, -1)) {
                    continue;
                }
                int n = rx.recv(sock, Native.address(buf), buf.capacity());
                rx.closeReceived();
                if (n == 0) {
                    break; // Sluice is done with us
                }
                if (n > 0) {
                    byte[] b = new byte[n];
                    buf.get(0, b);
                    pending.append(new String(b, StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            System.err.println("sluice namespace helper: " + e.getMessage());
        }
        System.exit(0);
    }

    private static void answer(int sock, String line) throws IOException {
        int fd = -1;
        String reply = "ok";
        try {
            fd = serve(line.trim().split(" "));
        } catch (IOException | RuntimeException e) {
            reply = "err " + String.valueOf(e.getMessage()).replace('\n', ' ');
        }
        byte[] bytes = (reply + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (fd >= 0) {
                FdPassing.send(sock, bytes, fd);
            } else {
                FdPassing.send(sock, bytes);
            }
        } finally {
            if (fd >= 0) {
                Native.closeQuietly(fd); // Sluice has its own copy now
            }
        }
    }

    /** Does one request; returns the fd to hand back, or -1. */
    static int serve(String[] w) throws IOException {
        switch (w[0]) {
            case "tap":
            case "vtap": // with IFF_VNET_HDR: the header size and offloads are set on Sluice's side of the fd
                try {
                    return Tun.openTap(-1, w[1], w[0].equals("vtap"));
                } catch (IOException e) {
                    throw tunHint(e);
                }
            case "mac":
                LinkConfig.setMac(-1, w[1], Long.parseLong(w[2], 16));
                return -1;
            case "up":
                LinkConfig.setUp(-1, w[1], Integer.parseInt(w[2]));
                return -1;
            case "addr":
                LinkConfig.addAddress(-1, w[1], InetAddress.getByName(w[2]), Integer.parseInt(w[3]));
                return -1;
            case "route":
                LinkConfig.addDefaultRoute(-1, w[1], InetAddress.getByName(w[2]));
                return -1;
            case "socket":
                return NsAccess.socketHere(w[1].equals("6"), w[2].equals("tcp"));
            default:
                throw new IOException("unknown request '" + w[0] + "'");
        }
    }

    /**
     * Inside a user namespace even its root opens /dev/net/tun only if the node lets
     * everyone (Debian ships it 0666): say which file and what its mode is.
     */
    static IOException tunHint(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (!m.contains("/dev/net/tun") || !(m.contains("EACCES") || m.contains("EPERM"))) {
            return e;
        }
        String mode = "?";
        try {
            int bits = (Integer) Files.getAttribute(Path.of("/dev/net/tun"), "unix:mode");
            mode = String.format("%04o", bits & 07777);
        } catch (IOException | RuntimeException ignored) {
            // the message names the file anyway
        }
        return new IOException("cannot open /dev/net/tun (mode " + mode + "): " + m.substring(m.indexOf(": ") + 2)
                + "; rootless tap mode needs it readable and writable by everyone (mode 0666, Debian's default)", e);
    }
}
