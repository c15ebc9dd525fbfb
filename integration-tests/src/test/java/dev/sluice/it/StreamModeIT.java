package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream mode through a real QEMU: QEMU in the guest namespace bridges the
 * guest kernel's tap to Sluice's UNIX socket; the guest gets DHCP through it,
 * and again after QEMU restarts (disconnect, reconnect).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamModeIT {
    private Topology topo;
    private SluiceProcess sluice;
    private Path socket;

    @BeforeAll
    void start() throws Exception {
        Prerequisites.require(Qemu.available(), "qemu-system-x86_64 is not installed");
        topo = Topology.create();
        socket = SluiceProcess.workDir().resolve("sluice-" + topo.suffix + ".socket");
        sluice = SluiceProcess.start(topo.h, "-s", socket.toString(), "-d");
        topo.sh(topo.g, "ip tuntap add dev tap0 mode tap && ip link set tap0 mtu 1500 up");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
        }
    }

    @Test
    void dhcpThroughQemuAndAgainAfterQemuRestarts() throws Exception {
        assertTrue(sluice.log().contains("addr.path=" + socket), "banner prints the QEMU command line");
        for (int round = 1; round <= 2; round++) {
            try (Qemu qemu = Qemu.start(topo.g, "tap0", socket)) {
                assertTrue(sluice.awaitLog("guest connected", 20),
                        "round " + round + ": QEMU did not connect\n" + qemu.log() + "\n" + sluice.log());
                Map<String, String> env = Guest.udhcpc(topo.g, "tap0");
                assertEquals("10.77.0.1", env.get("ip"), "round " + round + ": " + env);
                assertEquals("10.77.0.254", env.get("router"), "round " + round + ": " + env);
                assertEquals("255.255.255.0", env.get("subnet"), "round " + round + ": " + env);
                assertEquals("10.99.0.1", env.get("dns").trim(), "round " + round + ": " + env);
            }
            String disconnected = "guest disconnected";
            int expected = round;
            assertTrue(awaitCount(disconnected, expected, 20), sluice.log());
        }
        assertTrue(sluice.process().isAlive(), "sluice keeps waiting for the next guest");
    }

    /**
     * TCP through QEMU: a 64 MiB download from the lan's web server, sha256
     * equal. The guest tap keeps MTU 1500; MTU 65520 through the hub is
     * StreamBigMtuIT's (QEMU 7.2's partial-write abort, see docs/design.md).
     */
    @Test
    void curlDownloadThroughQemuMatchesSha256() throws Exception {
        Path www = java.nio.file.Files.createTempDirectory(SluiceProcess.workDir(), "qemu-www-");
        Path big = Files2.random(www, "big", 64L << 20, 99);
        try (Background bg = new Background(); Qemu qemu = Qemu.start(topo.g, "tap0", socket)) {
            bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
            assertTrue(sluice.awaitLog("guest connected", 20), qemu.log());
            topo.sh(topo.g, "ip addr replace 10.77.0.1/24 dev tap0 && ip route replace default via 10.77.0.254");
            Cmd.Result r = Cmd.shIn(topo.g, 180, "curl -sS --fail --max-time 150 http://10.99.0.1/big | sha256sum");
            assertEquals(Files2.sha256(big), r.out().trim().split("\\s+")[0], r.out() + "\n" + qemu.log());
        }
    }

    private boolean awaitCount(String text, int n, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            String log = sluice.log();
            int count = 0;
            for (int i = log.indexOf(text); i >= 0; i = log.indexOf(text, i + 1)) {
                count++;
            }
            if (count >= n) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }
}
