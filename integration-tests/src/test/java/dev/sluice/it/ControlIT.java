package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sluice.core.control.PromText;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control socket against a running instance in tap mode, with the
 * client subcommands of the real launcher: a rate-limited curl download
 * shows in {@code sluice status} and {@code sluice flows} with growing byte
 * counts; a no-map-host refusal appears in {@code sluice audit --follow}, in
 * {@code --audit-log}, in {@code sluice metrics} and on the
 * {@code --metrics-listen} endpoint (all parsed as Prometheus text); the
 * socket is 0600 and another uid is refused; a hundred clients asking for
 * the flows in a loop do not disturb an iperf3 transfer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlIT {
    private Topology topo;
    private final Background bg = new Background();
    private SluiceProcess sluice;
    private Path dir;
    private Path ctl;
    private Path auditLog;
    private int metricsPort;

    @BeforeAll
    void start() throws Exception {
        for (String tool : new String[] {"curl", "busybox", "iperf3", "socat", "setpriv"}) {
            assertTrue(Cmd.has(tool), tool + " is needed (see .ci/run)");
        }
        topo = Topology.create();
        // A world-searchable directory, so another uid meets the socket's own mode and nothing else.
        dir = Files.createTempDirectory(Path.of("/tmp"), "sluice-ctl-it-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        ctl = dir.resolve("sluice.ctl");
        auditLog = dir.resolve("audit.jsonl");
        Path www = Files.createDirectories(dir.resolve("www"));
        try (var f = new java.io.RandomAccessFile(www.resolve("big").toFile(), "rw")) {
            f.setLength(400L << 20); // sparse: served at the guest's pace
        }
        bg.start(topo.lan, "busybox httpd -f -p 8080 -h " + www);
        bg.start(topo.lan, "iperf3 -s -B 10.99.0.1 -p 5201");
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':8080 ' && ss -Htln | grep -q ':5201 '"));
        metricsPort = ThreadLocalRandom.current().nextInt(20000, 60000); // h's own loopback: no clash
        String pluginDir = Path.of(System.getProperty("sluice.plugins.src", "../plugins"), "no-map-host", "target")
                .toString();
        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "-a", "10.77.0.50", "-n", "24", "-a", "fd77::50", "--plugin-dir", "none", "--plugin-dir", pluginDir, "--plugin", "no-map-host",
                "--control", ctl.toString(), "--audit-log", auditLog.toString(),
                "--metrics-listen", "127.0.0.1:" + metricsPort);
        assertTrue(Guest.await(topo.g, 20, "ip -4 addr show dev tap0 | grep -q 10.77.0.50"));
    }

    @AfterAll
    void stop() throws Exception {
        if (sluice != null) {
            sluice.close();
        }
        bg.close();
        if (topo != null) {
            topo.close();
        }
        if (dir != null) {
            Cmd.run(10, "rm", "-rf", dir.toString());
        }
    }

    /** {@code bin/sluice ARGS...} run from the root namespace (the socket is a path: any namespace reaches it). */
    private static Cmd.Result client(int timeout, String... args) {
        List<String> argv = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString()));
        argv.addAll(List.of(args));
        return Cmd.run(timeout, argv);
    }

    private static final Pattern TO_GUEST = Pattern.compile("\"remote\":\"10\\.99\\.0\\.1:8080\".*?\"state\":\"([^\"]*)\""
            + ".*?\"bytesToGuest\":(\\d+)");

    /** bytesToGuest of the download's flow in {@code sluice flows --json}, or -1 when it is not listed. */
    private long downloadBytes() {
        Cmd.Result r = client(30, "flows", "--proto", "tcp", "--json", "--control", ctl.toString()).ok();
        Matcher m = TO_GUEST.matcher(r.out());
        return m.find() && m.group(1).startsWith("ESTABLISHED") ? Long.parseLong(m.group(2)) : -1;
    }

    @Test
    void statusAndFlowsShowADownloadInProgressWithGrowingByteCounts() throws Exception {
        try (Background download = new Background()) {
            download.start(topo.g, "curl -s --limit-rate 2M -o /dev/null http://10.99.0.1:8080/big");
            long first = -1;
            for (int i = 0; i < 40 && first <= 0; i++) {
                Thread.sleep(250);
                first = downloadBytes();
            }
            assertTrue(first > 0, "the download is listed: " + client(30, "flows", "--control", ctl.toString()).out());
            long later = first;
            for (int i = 0; i < 20 && later <= first; i++) {
                Thread.sleep(500);
                later = downloadBytes();
            }
            System.out.println("[control] download bytes to the guest: " + first + " then " + later);
            assertTrue(later > first, "bytes grow: " + first + " then " + later);

            String table = client(30, "flows", "--control", ctl.toString()).ok().out();
            List<String> lines = table.lines().toList();
            assertTrue(lines.get(0).startsWith("PROTO  GUEST"), table);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("tcp ") && l.contains("10.77.0.50:")
                    && l.contains("10.99.0.1:8080") && l.contains("ESTABLISHED") && l.endsWith("accept")), table);
            String udp = client(30, "flows", "--proto", "udp", "--control", ctl.toString()).ok().out();
            assertTrue(!udp.contains("10.99.0.1:8080"), udp);

            String status = client(30, "status", "--control", ctl.toString()).ok().out();
            for (String want : new String[] {"sluice ", "link:    tap tap0 in namespace " + topo.g + " (guest attached)",
                "guest:   MAC ", "IPv4   10.77.0.50/24 gateway 10.77.0.254", "IPv6   fd77::50/64",
                "no-map-host  accepted ", "L2/link counters", "link.rx_frames "}) {
                assertTrue(status.contains(want), want + "\n" + status);
            }
            Matcher tcp = Pattern.compile("flows:   tcp (\\d+), udp \\d+, icmp \\d+").matcher(status);
            assertTrue(tcp.find() && Integer.parseInt(tcp.group(1)) >= 1, status);
            String json = client(30, "status", "--json", "--control", ctl.toString()).ok().out();
            assertTrue(json.startsWith("{\"version\":") && json.contains("\"plugins\":[{\"plugin\":\"no-map-host\""), json);
        }
    }

    @Test
    void aRefusalShowsInTheAuditStreamTheAuditLogAndTheMetrics() throws Exception {
        Path text = dir.resolve("follow.txt");
        Path json = dir.resolve("follow.jsonl");
        List<Process> followers = new ArrayList<>();
        try {
            for (Object[] f : new Object[][] {{text, new String[0]}, {json, new String[] {"--json"}}}) {
                List<String> argv = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString(),
                        "audit", "--follow", "--control", ctl.toString()));
                argv.addAll(List.of((String[]) f[1]));
                followers.add(new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(((Path) f[0]).toFile())
                        .start());
            }
            // Refused at once (RST): a new destination port each time, so the audit rate limit never holds one back.
            String want = "plugin=no-map-host reason=\"destination 127.0.0.1 is local to the host (lo)\"";
            for (int i = 0; i < 30 && !(Files.readString(text).contains(want)
                    && Files.readString(json).contains("\"plugin\":\"no-map-host\"")); i++) {
                Cmd.shIn(topo.g, 10, "curl -s --connect-timeout 5 http://10.77.0.254:" + (3000 + i) + "/");
                Thread.sleep(500);
            }
            String t = Files.readString(text);
            assertTrue(t.lines().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z REJECT proto=tcp src=10\\.77\\.0\\.50:\\d+ "
                    + "dst=10\\.77\\.0\\.254:3\\d+ mapped=127\\.0\\.0\\.1:3\\d+ .*") && l.endsWith(want)), t);
            String j = Files.readString(json);
            assertTrue(j.lines().anyMatch(l -> l.startsWith("{\"time\":\"") && l.contains("\"action\":\"REJECT\",\"proto\":\"tcp\"")
                    && l.contains("\"dst\":\"10.77.0.254:3") && l.contains("\"plugin\":\"no-map-host\"")), j);
        } finally {
            for (Process p : followers) {
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        String logged = Files.readString(auditLog);
        assertTrue(logged.lines().anyMatch(l -> l.contains("\"plugin\":\"no-map-host\"")
                && l.contains("\"mapped\":\"127.0.0.1:3")), logged);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(auditLog)));

        String metrics = client(30, "metrics", "--control", ctl.toString()).ok().out();
        Map<String, Double> m = PromText.parse(metrics);
        Double rejected = m.get("sluice_plugin_flows_total{plugin=\"no-map-host\",verdict=\"rejected\"}");
        assertTrue(rejected != null && rejected >= 1, metrics);
        assertTrue(m.get("sluice_events_total{counter=\"tcp.rejected\"}") >= 1, metrics);

        Cmd.Result http = Cmd.inNs(topo.h, 30, "curl", "-sS", "-i", "http://127.0.0.1:" + metricsPort + "/metrics").ok();
        String body = http.out().substring(http.out().indexOf("\r\n\r\n") + 4);
        assertTrue(http.out().startsWith("HTTP/1.1 200") && http.out().contains("text/plain; version=0.0.4"), http.out());
        Map<String, Double> scraped = PromText.parse(body);
        assertTrue(scraped.get("sluice_plugin_flows_total{plugin=\"no-map-host\",verdict=\"rejected\"}") >= rejected);
        Cmd.Result notFound = Cmd.inNs(topo.h, 30, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "http://127.0.0.1:" + metricsPort + "/");
        assertEquals("404", notFound.out().trim());
    }

    @Test
    void theSocketIsTheOwnersAndAnotherUidIsRefused() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ctl)));
        assertEquals(0, (Integer) Files.getAttribute(ctl, "unix:uid"));
        String nobody = "printf 'status\\n' | setpriv --reuid=65534 --regid=65534 --clear-groups socat -t 5 - UNIX-CONNECT:" + ctl;
        Cmd.Result denied = Cmd.run(30, "sh", "-c", nobody);
        assertNotEquals(0, denied.exit(), denied.out());
        assertTrue(denied.out().contains("Permission denied") && !denied.out().contains("sluice "), denied.out());
        // Even with the mode widened by mistake, the peer's uid (SO_PEERCRED) is checked.
        Files.setPosixFilePermissions(ctl, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            // read only: the server answers a refused peer at once and closes, and a client still
            // writing its request could lose that line to EPIPE
            Cmd.Result refused = Cmd.run(30, "sh", "-c", "setpriv --reuid=65534 --regid=65534 --clear-groups "
                    + "socat -t 5 -u UNIX-CONNECT:" + ctl + " -");
            assertTrue(refused.out().startsWith("error: permission denied: uid 65534"), refused.out());
        } finally {
            Files.setPosixFilePermissions(ctl, PosixFilePermissions.fromString("rw-------"));
        }
        assertTrue(sluice.log().contains("control: refused a client with uid 65534"), sluice.log());
        // Root may always ask; a malformed request is one error line.
        Cmd.Result bad = Cmd.run(30, "sh", "-c", "printf 'gimme\\n' | socat -t 5 - UNIX-CONNECT:" + ctl);
        assertEquals("error: bad request \"gimme\"; expected: status [json] | flows [tcp|udp|icmp] [json] "
                + "| audit follow [json] | metrics", bad.out().trim());
        Cmd.Result none = client(30, "status", "--control", dir.resolve("no-such.ctl").toString());
        assertEquals(1, none.exit());
        assertEquals(1, none.out().trim().lines().count(), none.out());
        assertTrue(none.out().startsWith("sluice: no control socket at "), none.out());
    }

    @Test
    void aHundredClientsAskingForTheFlowsLeaveAnIperf3TransferIntact() throws Exception {
        Cmd.Result quiet = Cmd.shIn(topo.g, 60, "iperf3 -c 10.99.0.1 -p 5201 -t 5 -J");
        System.out.printf("[control] iperf3 5 s upload without control clients: %.2f Gbit/s received%n", gbps(quiet.out()));
        AtomicLong answers = new AtomicLong();
        AtomicLong flowLines = new AtomicLong();
        AtomicReference<String> fault = new AtomicReference<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        List<Thread> clients = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        for (int i = 0; i < 100; i++) {
            String request = i % 2 == 0 ? "flows json\n" : "flows\n";
            Thread t = new Thread(() -> {
                while (!done.get() && System.nanoTime() < deadline && fault.get() == null) {
                    try {
                        String a = ask(request);
                        // JSON: one object per flow (none at all is a valid answer); text: the table's header first.
                        boolean ok = request.startsWith("flows json")
                                ? a.lines().allMatch(l -> l.startsWith("{\"proto\":") && l.endsWith("}"))
                                : a.startsWith("PROTO  GUEST");
                        if (!ok || !(a.isEmpty() || a.endsWith("\n"))) {
                            fault.compareAndSet(null, "bad answer to " + request.trim() + ": " + a);
                        }
                        answers.incrementAndGet();
                        flowLines.addAndGet(a.lines().count());
                    } catch (IOException e) {
                        fault.compareAndSet(null, e.toString());
                    }
                }
            }, "control-client-" + i);
            t.start();
            clients.add(t);
        }
        Path rand = Files2.random(dir.resolve("www"), "rand", 64L << 20, 10);
        String want = Files2.sha256(rand);
        Cmd.Result iperf;
        Cmd.Result download;
        try {
            iperf = Cmd.shIn(topo.g, 60, "iperf3 -c 10.99.0.1 -p 5201 -t 5 -J");
            download = Cmd.shIn(topo.g, 60, "curl -sS --max-time 50 http://10.99.0.1:8080/rand | sha256sum");
        } finally {
            done.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        assertEquals(0, iperf.exit(), iperf.out());
        System.out.printf("[control] 100 clients asking for flows during a 5 s iperf3 upload and a 64 MiB download: "
                + "%d answers, %d lines; iperf3 %.2f Gbit/s received%n", answers.get(), flowLines.get(), gbps(iperf.out()));
        assertNull(fault.get());
        assertTrue(answers.get() >= 100, "every client got answers: " + answers.get());
        assertTrue(bytes(iperf.out(), "sum_received") > 0, iperf.out());
        assertEquals(want + "  -", download.ok().out().trim(), "the download is intact");
    }

    private String ask(String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(ctl));
            c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(16384);
            while (c.read(b) >= 0) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static long bytes(String json, String sum) {
        Matcher m = Pattern.compile("\"" + sum + "\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static double gbps(String json) {
        Matcher m = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.e+]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) / 1e9 : -1;
    }

    @Test
    void theSubcommandsHaveHelpManPageAndCompletion() throws IOException {
        Cmd.Result help = client(30, "flows", "--help").ok();
        assertTrue(help.out().contains("--proto=tcp|udp|icmp") && help.out().contains("--control=PATH"), help.out());
        assertTrue(client(30, "--help").ok().out().contains("Commands:"));
        Path home = SluiceProcess.home();
        Cmd.Result c = Cmd.run(30, "bash", "-c", "source '" + home.resolve("share/bash-completion/completions/sluice")
                + "' 2>/dev/null; COMP_WORDS=(sluice st); COMP_CWORD=1; _complete_sluice 2>/dev/null;"
                + " printf '%s\\n' \"${COMPREPLY[@]}\"; COMP_WORDS=(sluice audit --fo); COMP_CWORD=2;"
                + " _complete_sluice 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertEquals("status\n--follow", c.ok().out().trim());
        String page = Files.readString(home.resolve("share/man/man1/sluice.1"));
        assertTrue(page.contains(".SH COMMANDS") && page.contains(".SS \"sluice flows [OPTION]...\"")
                && page.contains("\\-\\-metrics\\-listen"), page);
    }
}
