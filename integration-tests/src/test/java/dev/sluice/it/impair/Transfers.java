package dev.sluice.it.impair;

import dev.sluice.core.host.Fds;
import dev.sluice.core.host.Netns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Parallel transfers of one seeded random payload between the guest namespace
 * and servers in the lan namespace, on Java sockets opened inside those
 * namespaces (so the guest's own kernel TCP does the guest's side): a download
 * server that sends the payload and closes, an upload server that hashes what
 * it reads until EOF and answers the 32-byte sha256. Each transfer counts the
 * bytes it moved (downloads: received; uploads: handed to the guest kernel),
 * so a stall names the transfer and how far it got. Threads, one per
 * connection, block on their socket; closing this object closes every socket.
 */
final class Transfers implements AutoCloseable {
    static final int DOWNLOAD_PORT = 9001;
    static final int UPLOAD_PORT = 9000;
    private static final int CHUNK = 64 << 10;

    private final byte[] payload;
    private final byte[] sha;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final ConcurrentLinkedQueue<SocketChannel> open = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** One transfer's progress; written by its thread, read by whoever reports. */
    static final class Transfer {
        final String name;
        final boolean download;
        final String host;
        volatile long bytes;
        volatile long lastProgressNs;
        volatile long startNs;
        volatile long endNs;
        /** null while running, "ok" when the hash matched, else what went wrong. */
        volatile String outcome;
        /** Set before the socket is closed for the overall deadline, so the failure reads as a timeout. */
        volatile String cutOff;

        Transfer(String name, boolean download, String host) {
            this.name = name;
            this.download = download;
            this.host = host;
        }

        boolean ok() {
            return "ok".equals(outcome);
        }

        /** MB/s (10^6) over the transfer's own duration; until now if it did not end. */
        double mbPerSecond() {
            long end = endNs != 0 ? endNs : System.nanoTime();
            return startNs == 0 || end == startNs ? 0 : bytes * 1e3 / (end - startNs);
        }

        String describe(long size) {
            return name + " (" + host + "): " + bytes + " of " + size + " bytes moved, " + outcome;
        }
    }

    Transfers(long size, long seed) {
        payload = new byte[Math.toIntExact(size)];
        new Random(seed).nextBytes(payload);
        sha = sha256().digest(payload);
    }

    long size() {
        return payload.length;
    }

    /** Starts both servers on the wildcard (dual-stack) address of namespace {@code ns}. */
    void serve(String ns) throws Exception {
        int nsFd = Netns.open(ns);
        try {
            for (int port : new int[] {DOWNLOAD_PORT, UPLOAD_PORT}) {
                ServerSocketChannel l = Netns.callIn(nsFd, () -> {
                    ServerSocketChannel s = ServerSocketChannel.open();
                    s.bind(new InetSocketAddress(port), 512);
                    return s;
                });
                listeners.add(l);
                boolean download = port == DOWNLOAD_PORT;
                thread("impair-accept-" + port, () -> accept(l, download));
            }
        } finally {
            Fds.close(nsFd);
        }
    }

    private void accept(ServerSocketChannel l, boolean download) {
        while (!closed) {
            SocketChannel c;
            try {
                c = l.accept();
            } catch (IOException e) {
                return; // closed
            }
            open.add(c);
            thread("impair-server", () -> {
                try (c) {
                    if (download) {
                        writeAll(c, null);
                    } else {
                        MessageDigest md = sha256();
                        ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
                        while (c.read(b.clear()) >= 0) {
                            md.update(b.flip());
                        }
                        c.write(ByteBuffer.wrap(md.digest()));
                    }
                } catch (IOException e) {
                    // the client's side reports it
                } finally {
                    open.remove(c);
                }
            });
        }
    }

    /**
     * Opens in namespace {@code ns} one socket per transfer and runs
     * {@code parallel} downloads and {@code parallel} uploads (either may be
     * 0) to each of {@code hosts} at once; returns when all ended or
     * {@code seconds} passed (then every socket is closed and the unfinished
     * transfers say how far they got).
     */
    List<Transfer> run(String ns, List<String> hosts, int downloads, int uploads, int seconds) throws Exception {
        List<Transfer> all = new ArrayList<>();
        for (String host : hosts) {
            String fam = host.contains(":") ? "v6" : "v4";
            for (int i = 1; i <= downloads; i++) {
                all.add(new Transfer("download " + fam + " #" + i, true, host));
            }
            for (int i = 1; i <= uploads; i++) {
                all.add(new Transfer("upload " + fam + " #" + i, false, host));
            }
        }
        List<SocketChannel> socks = new ArrayList<>();
        int nsFd = Netns.open(ns);
        try {
            Netns.callIn(nsFd, () -> {
                for (int i = 0; i < all.size(); i++) {
                    socks.add(SocketChannel.open());
                }
                return null;
            });
        } finally {
            Fds.close(nsFd);
        }
        CountDownLatch done = new CountDownLatch(all.size());
        for (int i = 0; i < all.size(); i++) {
            Transfer t = all.get(i);
            SocketChannel c = socks.get(i);
            open.add(c);
            thread("impair-" + t.name, () -> {
                try {
                    t.outcome = client(t, c);
                } catch (IOException | RuntimeException e) {
                    t.outcome = t.cutOff != null ? t.cutOff : "failed: " + e;
                } finally {
                    t.endNs = System.nanoTime();
                    open.remove(c);
                    try {
                        c.close();
                    } catch (IOException e) {
                        // closing
                    }
                    done.countDown();
                }
            });
        }
        if (!done.await(seconds, TimeUnit.SECONDS)) {
            for (int i = 0; i < all.size(); i++) {
                Transfer t = all.get(i);
                if (t.outcome == null) {
                    t.cutOff = "timed out after " + seconds + " s, no progress for "
                            + (System.nanoTime() - t.lastProgressNs) / 1_000_000 + " ms";
                    socks.get(i).close(); // unblocks the thread, which then records cutOff
                }
            }
            done.await(10, TimeUnit.SECONDS);
            for (Transfer t : all) {
                if (t.outcome == null) {
                    t.outcome = t.cutOff;
                }
            }
        }
        return all;
    }

    private String client(Transfer t, SocketChannel c) throws IOException {
        t.startNs = System.nanoTime();
        t.lastProgressNs = t.startNs;
        c.connect(new InetSocketAddress(t.host, t.download ? DOWNLOAD_PORT : UPLOAD_PORT));
        if (t.download) {
            MessageDigest md = sha256();
            ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
            int n;
            while ((n = c.read(b.clear())) >= 0) {
                md.update(b.flip());
                t.bytes += n;
                t.lastProgressNs = System.nanoTime();
            }
            return verdict(t.bytes, md.digest());
        }
        writeAll(c, t);
        c.shutdownOutput();
        ByteBuffer answer = ByteBuffer.allocate(32);
        while (answer.hasRemaining() && c.read(answer) >= 0) {
            // the server's digest, after it read our EOF
        }
        return answer.hasRemaining() ? "no digest from the upload server" : verdict(t.bytes, answer.array());
    }

    private String verdict(long bytes, byte[] digest) {
        if (bytes != payload.length) {
            return "wrong length " + bytes;
        }
        return Arrays.equals(digest, sha) ? "ok" : "sha256 differs";
    }

    private void writeAll(SocketChannel c, Transfer t) throws IOException {
        for (int off = 0; off < payload.length; off += CHUNK) {
            ByteBuffer b = ByteBuffer.wrap(payload, off, Math.min(CHUNK, payload.length - off));
            while (b.hasRemaining()) {
                int n = c.write(b);
                if (t != null) {
                    t.bytes += n;
                    t.lastProgressNs = System.nanoTime();
                }
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        closed = true;
        for (ServerSocketChannel l : listeners) {
            try {
                l.close();
            } catch (IOException e) {
                // closing
            }
        }
        for (SocketChannel c : open) {
            try {
                c.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
