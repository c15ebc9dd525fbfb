package dev.sluice.core.control;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestState;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.plugin.AuditEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.sluice.core.control.Fixtures.sa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control socket against a packet loop with no flows: access, protocol, limits. */
class ControlServerTest {
    @TempDir
    Path dir;
    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;
    private final Counters counters = new Counters();
    private ControlServer server;
    private Path path;

    private static final GuestLink LINK = new GuestLink() {
        @Override
        public void send(ByteBuf frame) {
            frame.release();
        }

        @Override
        public void flush() {
        }

        @Override
        public boolean isUp() {
            return true;
        }
    };

    @BeforeEach
    void start() throws IOException {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
        path = dir.resolve("s.ctl");
        server = start(path);
    }

    private ControlServer start(Path p) throws IOException {
        LoopState st = new LoopState(counters, new GuestState(0), LINK, dev.sluice.core.flow.FlowBudgets.of(100, dev.sluice.core.flow.FlowRates.NONE), null, null, null, null);
        return ControlServer.start(new ControlConfig(p, true, null, null), Fixtures.facts(p), st, loop, counters);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static String ask(Path p, String raw) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(p));
            c.write(ByteBuffer.wrap(raw.getBytes(StandardCharsets.ISO_8859_1)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(8192);
            while (c.read(b) >= 0) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void socketIsTheOwnersOnlyAndGoneAfterClose() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals(1, Files.list(dir).count(), "no temporary directory left behind");
        server.close();
        server = null;
        assertTrue(Files.notExists(path));
    }

    @Test
    void statusAndFlowsThroughTheClient() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        assertEquals(0, ControlClient.run(path, "status", out, new PrintWriter(err)), err.toString());
        String s = out.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("sluice 1.2.3, pid 4242, up "), s);
        assertTrue(s.contains("plugins: none"), s);
        out.reset();
        assertEquals(0, ControlClient.run(path, "flows", out, new PrintWriter(err)));
        assertEquals(1, out.toString(StandardCharsets.UTF_8).lines().count(), "header only: " + out);
        out.reset();
        assertEquals(0, ControlClient.run(path, "flows json", out, new PrintWriter(err)));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void malformedRequestsGetOneErrorLine() throws IOException {
        String a = ask(path, "hello\n");
        assertTrue(a.startsWith("error: bad request \"hello\"") && a.endsWith("\n") && a.lines().count() == 1, a);
        String b = ask(path, "x".repeat(300) + "\n");
        assertTrue(b.startsWith("error: request longer than 256 bytes") && b.lines().count() == 1, b);
        String c = ask(path, "status\r\n");
        assertTrue(c.startsWith("sluice 1.2.3"), "CRLF is accepted: " + c);
        String d = ask(path, "sta\u00fftus\n");
        assertTrue(d.startsWith("error: request contains a control or non-ASCII character"), d);
        assertEquals(3L, counters.snapshot().get("control.bad_requests"));
        StringWriter err = new StringWriter();
        assertEquals(1, ControlClient.run(path, "flows sctp", new ByteArrayOutputStream(), new PrintWriter(err)));
        assertTrue(err.toString().startsWith("sluice: bad request \"flows sctp\""), err.toString());
    }

    @Test
    void aRequestSentWithEndOfInputIsStillAnswered() throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(path));
            c.write(ByteBuffer.wrap("metrics\n".getBytes(StandardCharsets.US_ASCII)));
            c.shutdownOutput();
            ByteBuffer b = ByteBuffer.allocate(65536);
            while (c.read(b) >= 0) {
                // to the end
            }
            String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            assertTrue(PromText.parse(text).containsKey("sluice_link_up"), text);
        }
    }

    @Test
    void aLiveSocketIsNotTakenOverButAStaleOneIs() throws IOException {
        IOException e = assertThrows(IOException.class, () -> start(path));
        assertTrue(e.getMessage().contains("in use by a running instance"), e.getMessage());
        Path stale = dir.resolve("stale.ctl");
        Files.writeString(stale, "left over");
        ControlServer second = start(stale);
        try {
            assertTrue(ask(stale, "status\n").startsWith("sluice "));
        } finally {
            second.close();
        }
    }

    @Test
    void missingInstanceIsOneLineExitOne() {
        StringWriter err = new StringWriter();
        assertEquals(1, ControlClient.run(dir.resolve("nope.ctl"), "status", new ByteArrayOutputStream(),
                new PrintWriter(err)));
        assertEquals(1, err.toString().lines().count());
        assertTrue(err.toString().startsWith("sluice: no control socket at "), err.toString());
    }

    private static AuditEvent event(int i) {
        return new AuditEvent(Fixtures.START, "REJECT", "tcp", sa("10.77.0.50", 40000 + i % 1000), sa("10.77.0.1", 22),
                sa("10.77.0.1", 22), 0, "no-map-host", "destination 10.77.0.1 is local to the host (eth0), padding "
                + "x".repeat(100), 0);
    }

    @Test
    void auditFollowersGetEventsAndASlowOneIsDropped() throws Exception {
        AuditEvent.Listener l = server.auditListener();
        try (SocketChannel fast = SocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel slow = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            fast.connect(UnixDomainSocketAddress.of(path));
            fast.write(ByteBuffer.wrap("audit follow json\n".getBytes(StandardCharsets.US_ASCII)));
            slow.connect(UnixDomainSocketAddress.of(path));
            slow.write(ByteBuffer.wrap("audit follow\n".getBytes(StandardCharsets.US_ASCII)));
            Thread.sleep(300); // both registered
            loop.submit(() -> l.onAudit(event(0))).get();
            ByteBuffer b = ByteBuffer.allocate(4096);
            while (b.position() == 0 || b.get(b.position() - 1) != '\n') {
                fast.read(b);
            }
            String line = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            assertTrue(line.startsWith("{\"time\":\"2025-12-03T11:40:00Z\",\"action\":\"REJECT\"") && line.contains(
                    "\"plugin\":\"no-map-host\""), line);
            // The slow one never reads: the packet loop keeps handing events over, and it is dropped.
            Thread reader = new Thread(() -> {
                ByteBuffer sink = ByteBuffer.allocate(65536);
                try {
                    while (fast.read(sink) >= 0) {
                        sink.clear();
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            reader.start();
            for (int i = 0; i < 200 && !counters.snapshot().containsKey("control.slow_client_dropped"); i++) {
                loop.submit(() -> {
                    for (int k = 0; k < 100; k++) {
                        l.onAudit(event(k));
                    }
                }).get();
                Thread.sleep(5);
            }
            assertEquals(1L, counters.snapshot().get("control.slow_client_dropped"));
            ByteBuffer sink = ByteBuffer.allocate(1 << 20);
            long total = 0;
            int n;
            while ((n = slow.read(sink)) >= 0) {
                total += n;
                sink.clear();
            }
            assertTrue(total < (8 << 20), "what it got was bounded: " + total);
        }
    }
}
