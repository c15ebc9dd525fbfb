package dev.sluice.core.flow.tcp;

import dev.sluice.core.testutil.Prerequisites;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.tcp.KernelGuest.Result;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * TCP translation against a real Linux TCP stack (see {@link KernelGuest}):
 * socat, curl and iperf3 in a network namespace talk through TcpFlows to
 * servers on this namespace's loopback. Needs root; traffic stays on
 * loopback and inside the namespace the test creates.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpKernelIT {
    private KernelGuest g;

    int mtu() {
        return 65520;
    }

    @BeforeAll
    void up() throws Exception {
        Prerequisites.require(KernelGuest.available(), "needs root, /dev/net/tun and ip");
        g = new KernelGuest(mtu(), TcpSettings.defaults(), OutboundGate.ALLOW_ALL);
    }

    @AfterAll
    void down() {
        if (g != null) {
            g.close();
        }
    }

    private static String gw(boolean v6) {
        return v6 ? "[" + KernelGuest.GW6 + "]" : KernelGuest.GW4;
    }

    private static ServerSocket listen(boolean v6) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(v6 ? "::1" : "127.0.0.1"), 0));
        s.setSoTimeout(30_000);
        return s;
    }

    private static String sha256Hex(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void download(boolean v6, int size) throws Exception {
        byte[] data = random(size, size + (v6 ? 1 : 0));
        try (ServerSocket srv = listen(v6)) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = srv.accept(); OutputStream out = s.getOutputStream()) {
                    out.write(data);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            String proto = v6 ? "TCP6" : "TCP4";
            Result r = KernelGuest.ensure(g.sh(60, "socat -u " + proto + ":" + gw(v6) + ":" + srv.getLocalPort()
                    + " - | sha256sum"));
            served.get(10, TimeUnit.SECONDS);
            assertEquals(sha256Hex(data), r.out().trim().split("\\s+")[0], "downloaded bytes differ");
        }
    }

    private void upload(boolean v6, int size) throws Exception {
        byte[] data = random(size, size * 7L + (v6 ? 1 : 0));
        Path file = Files.createTempFile("sluice-tcp-up", ".bin");
        try (ServerSocket srv = listen(v6)) {
            Files.write(file, data);
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try (Socket s = srv.accept(); InputStream in = s.getInputStream()) {
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        md.update(buf, 0, n);
                    }
                    return HexFormat.of().formatHex(md.digest());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            String proto = v6 ? "TCP6" : "TCP4";
            KernelGuest.ensure(g.sh(60, "socat -u OPEN:" + file + " " + proto + ":" + gw(v6) + ":" + srv.getLocalPort()));
            assertEquals(sha256Hex(data), got.get(30, TimeUnit.SECONDS), "uploaded bytes differ");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void downloadV4() throws Exception {
        download(false, 32 << 20);
    }

    @Test
    void downloadV6() throws Exception {
        download(true, 32 << 20);
    }

    @Test
    void uploadV4() throws Exception {
        upload(false, 32 << 20);
    }

    @Test
    void uploadV6() throws Exception {
        upload(true, 32 << 20);
    }

    @Test
    void slowReaderInTheGuestClosesAndReopensTheWindow() throws Exception {
        // the guest application stops reading for a while: its window closes, Sluice
        // stops reading the host socket, probes, and resumes when the window opens
        byte[] data = random(24 << 20, 11);
        try (ServerSocket srv = listen(false)) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = srv.accept(); OutputStream out = s.getOutputStream()) {
                    out.write(data);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Result r = KernelGuest.ensure(g.sh(60, "socat -u TCP4:" + KernelGuest.GW4 + ":" + srv.getLocalPort()
                    + " - | (sleep 2; sha256sum)"));
            served.get(20, TimeUnit.SECONDS);
            assertEquals(sha256Hex(data), r.out().trim().split("\\s+")[0]);
        }
    }

    @Test
    void slowReaderOnTheHostClosesAndReopensTheGuestsWindow() throws Exception {
        // the host peer stops reading: its kernel buffer and then Sluice's queue fill,
        // the window offered to the guest closes, and reopens once the peer reads again
        byte[] data = random(24 << 20, 12);
        Path file = Files.createTempFile("sluice-tcp-slow", ".bin");
        try (ServerSocket srv = listen(false)) {
            Files.write(file, data);
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try (Socket s = srv.accept(); InputStream in = s.getInputStream()) {
                    Thread.sleep(2000);
                    return sha256Hex(in.readAllBytes());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            KernelGuest.ensure(g.sh(60, "socat -u OPEN:" + file + " TCP4:" + KernelGuest.GW4 + ":" + srv.getLocalPort()));
            assertEquals(sha256Hex(data), got.get(30, TimeUnit.SECONDS));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void echoBothWaysAtOnce() throws Exception {
        // the guest streams a file through an echo server and checks what comes back
        byte[] data = random(8 << 20, 99);
        Path file = Files.createTempFile("sluice-tcp-echo", ".bin");
        try (ServerSocket srv = listen(false)) {
            Files.write(file, data);
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (Socket s = srv.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // socat sends the file, half-closes, and keeps reading the echo until the server closes
            Result r = KernelGuest.ensure(g.sh(60, "socat -t 30 - TCP4:" + KernelGuest.GW4 + ":"
                    + srv.getLocalPort() + " <" + file + " | sha256sum"));
            echo.get(10, TimeUnit.SECONDS);
            assertEquals(sha256Hex(data), r.out().trim().split("\\s+")[0]);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void refusedConnectFailsAtOnceInTheGuest() throws Exception {
        int closed;
        try (ServerSocket s = listen(false)) {
            closed = s.getLocalPort();
        }
        // a RST without ACK would leave Linux retrying its SYN for minutes: the command would time out
        Result r = g.sh(20, "socat -u - TCP4:" + KernelGuest.GW4 + ":" + closed + " </dev/null");
        assertTrue(r.out().contains("Connection refused"), r.out());
        Result r6 = g.sh(20, "socat -u - TCP6:[" + KernelGuest.GW6 + "]:" + closed + " </dev/null");
        assertTrue(r6.out().contains("Connection refused"), r6.out());
    }

    @Test
    void curlManyParallelDownloads() throws Exception {
        byte[] body = random(3 << 20, 5);
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        http.createContext("/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        http.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        http.start();
        try {
            int port = http.getAddress().getPort();
            StringBuilder cmd = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                cmd.append("curl -sS -o /dev/null -w '%{http_code} %{size_download}\\n' http://")
                        .append(KernelGuest.GW4).append(':').append(port).append("/").append(i).append(" & ");
            }
            cmd.append("wait");
            Result r = KernelGuest.ensure(g.sh(60, cmd.toString()));
            String[] lines = r.out().trim().split("\n");
            assertEquals(16, lines.length, r.out());
            for (String l : lines) {
                assertEquals("200 " + body.length, l.trim());
            }
        } finally {
            http.stop(0);
            ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
        }
        g.await(() -> g.flows.activeFlows() == 0, "flows freed after curl");
    }

    private double iperf(boolean reverse) throws Exception {
        int port;
        try (ServerSocket s = listen(false)) {
            port = s.getLocalPort();
        }
        Process server = new ProcessBuilder("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            Result r = KernelGuest.ensure(g.sh(30, "iperf3 -c " + KernelGuest.GW4 + " -p " + port + " -t 3 -f m"
                    + (reverse ? " -R" : "")));
            Matcher m = Pattern.compile("([0-9.]+) Mbits/sec\\s+(\\d+)?\\s*receiver").matcher(r.out());
            assertTrue(m.find(), r.out());
            return Double.parseDouble(m.group(1));
        } finally {
            KernelGuest.kill(server);
        }
    }

    @Test
    void iperf3BothDirections() throws Exception {
        double up = iperf(false);
        double down = iperf(true);
        System.out.printf("iperf3 through TcpFlows at MTU %d: guest->host %.0f Mbit/s, host->guest %.0f Mbit/s%n",
                mtu(), up, down);
        System.out.println("counters: " + g.counters.snapshot());
        System.out.println("guest TCP: " + g.sh(5, "nstat -az TcpRetransSegs TcpExtTCPTimeouts | tail -n +2 | tr -s ' \\n' ' '").out());
        assertTrue(up > 0 && down > 0);
    }

    @Test
    void inboundForwardReachesAGuestServer() throws Exception {
        Process server = g.spawn("exec socat TCP-LISTEN:2222,reuseaddr,fork SYSTEM:'tr a-z A-Z'");
        Channel listener = null;
        try {
            Thread.sleep(300);
            listener = new ServerBootstrap().group(g.loop).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) throws Exception {
                            g.flows.acceptInbound(ch,
                                    new InetSocketAddress(InetAddress.getByName(KernelGuest.GUEST4), 2222),
                                    new InetSocketAddress(InetAddress.getByName(KernelGuest.GW4),
                                            ch.remoteAddress().getPort()));
                        }
                    })
                    .bind(InetAddress.getByName("127.0.0.1"), 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            byte[] data = new byte[1 << 20];
            java.util.Arrays.fill(data, (byte) 'q');
            try (Socket c = new Socket("127.0.0.1", port)) {
                c.setSoTimeout(20_000);
                CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                    try {
                        return c.getInputStream().readAllBytes();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                c.getOutputStream().write(data);
                c.shutdownOutput();
                byte[] got = back.get(30, TimeUnit.SECONDS);
                assertEquals(data.length, got.length);
                for (byte b : got) {
                    if (b != 'Q') {
                        throw new AssertionError("corrupted byte " + b);
                    }
                }
            }
        } finally {
            if (listener != null) {
                listener.close().sync();
            }
            KernelGuest.kill(server);
        }
    }
}
