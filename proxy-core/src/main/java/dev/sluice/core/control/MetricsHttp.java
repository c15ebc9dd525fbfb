package dev.sluice.core.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code --metrics-listen ADDR:PORT}: {@code GET /metrics} answered with the
 * Prometheus text of the latest snapshot (see {@link ControlServer#snapshot}),
 * by the JDK's HTTP server on one thread of its own: a scrape never runs on
 * the packet loop. No authentication: listen on loopback unless the network
 * is trusted.
 */
final class MetricsHttp implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsHttp(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static MetricsHttp start(InetSocketAddress listen, ControlServer control) throws IOException {
        HttpServer s = HttpServer.create(listen, 16);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sluice-metrics-http");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        s.createContext("/", e -> handle(e, control));
        s.start();
        return new MetricsHttp(s, ex);
    }

    private static void handle(HttpExchange e, ControlServer control) throws IOException {
        try (e) {
            if (!e.getRequestURI().getPath().equals("/metrics")) {
                reply(e, 404, "not found: try /metrics\n");
                return;
            }
            if (!e.getRequestMethod().equals("GET") && !e.getRequestMethod().equals("HEAD")) {
                e.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(e, 405, "method not allowed\n");
                return;
            }
            Snapshot s;
            try {
                s = control.snapshot().get(5, TimeUnit.SECONDS);
            } catch (Exception ex) {
                s = null;
            }
            if (s == null) {
                reply(e, 503, "no snapshot\n");
                return;
            }
            e.getResponseHeaders().set("Content-Type", Prometheus.CONTENT_TYPE);
            reply(e, 200, control.metrics(s));
        }
    }

    private static void reply(HttpExchange e, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        boolean head = e.getRequestMethod().equals("HEAD");
        e.sendResponseHeaders(status, head ? -1 : b.length);
        if (!head) {
            try (OutputStream o = e.getResponseBody()) {
                o.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
