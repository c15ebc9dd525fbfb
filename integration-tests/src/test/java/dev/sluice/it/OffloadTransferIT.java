package dev.sluice.it;

import dev.sluice.core.control.PromText;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: the tap with IFF_VNET_HDR and offloads at MTU 1500. 256 MiB move
 * each way over TCP (host to guest: an HTTP download; guest to host: a socat
 * upload) and arrive sha256-equal; the link's counters show the guest's kernel
 * handed over TCP super-frames (GSO) and nothing to the guest was dropped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OffloadTransferIT {
    private static final long SIZE = 256L << 20;
    private Topology topo;
    private SluiceProcess sluice;
    private Path tmp;
    private Path ctl;
    private Path big;
    private String bigSha;
    private final Background bg = new Background();

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        tmp = Files.createTempDirectory(SluiceProcess.workDir(), "offload-");
        Path www = Files.createDirectories(tmp.resolve("www"));
        big = Files2.random(www, "big", SIZE, 1500);
        bigSha = Files2.sha256(big);
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        ctl = Path.of("/tmp", "sluice-ofl-" + topo.suffix + ".ctl"); // sun_path: 108 bytes at most
        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net", "-m", "1500", "-4",
                "--control", ctl.toString());
        assertTrue(Guest.await(topo.g, 20, "ip -4 addr show dev tap0 | grep -q 10.77.0.1/"),
                sluice.log());
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':80 '"));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            bg.close();
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
            if (ctl != null) {
                Files.deleteIfExists(ctl);
            }
            if (tmp != null) {
                Cmd.run(10, "rm", "-rf", tmp.toString());
            }
        }
    }

    @Test
    void twoHundredFiftySixMegabytesEachWayWithOffloads() throws Exception {
        Cmd.Result link = Cmd.inNs(topo.g, 10, "ip", "-d", "link", "show", "tap0").ok();
        assertTrue(link.out().contains("vnet_hdr on") && link.out().contains("mtu 1500"), link.out());

        Cmd.Result down = Cmd.shIn(topo.g, 150, "curl -sS --fail --max-time 140 http://10.99.0.1/big | sha256sum");
        assertEquals(bigSha, down.out().trim().split("\\s+")[0], "download: " + down.out() + "\n" + sluice.log());

        Path got = tmp.resolve("up");
        Process server = bg.start(topo.lan, "socat -u TCP4-LISTEN:9000,reuseaddr OPEN:" + got + ",creat,trunc");
        assertTrue(Guest.await(topo.lan, 10, "ss -Htln | grep -q ':9000 '"));
        Cmd.Result up = Cmd.inNs(topo.g, 150, "socat", "-u", "OPEN:" + big, "TCP:10.99.0.1:9000");
        assertEquals(0, up.exit(), "upload: " + up.out());
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server saw the end");
        assertEquals(bigSha, Files2.sha256(got), "upload");

        Map<String, Double> m = PromText.parse(client("metrics", "--control", ctl.toString()).ok().out());
        double gsoIn = m.getOrDefault("sluice_events_total{counter=\"link.rx_gso_frames\"}", 0.0);
        double dropped = m.getOrDefault("sluice_events_total{counter=\"link.tx_dropped\"}", 0.0);
        System.out.println("[offload] link.rx_gso_frames " + gsoIn + ", link.tx_offloaded "
                + m.getOrDefault("sluice_events_total{counter=\"link.tx_offloaded\"}", 0.0)
                + ", link.tx_dropped " + dropped);
        assertTrue(gsoIn > 0, "the guest's kernel sent TCP super-frames: " + m);
        assertEquals(0.0, dropped, "nothing to the guest dropped");
    }

    private static Cmd.Result client(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString()));
        argv.addAll(List.of(args));
        return Cmd.run(30, argv);
    }
}
