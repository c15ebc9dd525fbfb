package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code --outbound-if4}/{@code --outbound-if6}: h has two uplinks whose far
 * ends both hold 10.99.0.1/fd99::1 with different web content; the reply
 * proves which interface the host socket left through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboundIfIT {
    private Topology topo;
    private final Background bg = new Background();

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        Path tmp = Files.createTempDirectory(SluiceProcess.workDir(), "outif-");
        Path www = Files.createDirectories(tmp.resolve("www"));
        Path www2 = Files.createDirectories(tmp.resolve("www2"));
        Files.writeString(www.resolve("whoami"), "lan\n");
        Files.writeString(www2.resolve("whoami"), "lan2\n");
        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        bg.start(topo.lan2, "busybox httpd -f -p 80 -h " + www2);
    }

    @AfterAll
    void stop() {
        bg.close();
        if (topo != null) {
            topo.close();
        }
    }

    private String whoami(String url) {
        Cmd.Result r = Cmd.shIn(topo.g, 30, "curl -g -sS --fail --max-time 20 " + url);
        assertEquals(0, r.exit(), url + ": " + r.out());
        return r.out().trim();
    }

    @Test
    void outboundInterfaceChoosesTheUplink() throws Exception {
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net")) {
            awaitGuestV6();
            assertEquals("lan", whoami("http://10.99.0.1/whoami"));
            assertEquals("lan", whoami("http://[fd99::1]/whoami"));
        }
        try (SluiceProcess s = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "--outbound-if4", "dum0", "--outbound-if6", "dum0")) {
            awaitGuestV6();
            assertEquals("lan2", whoami("http://10.99.0.1/whoami"));
            assertEquals("lan2", whoami("http://[fd99::1]/whoami"));
        }
    }

    private void awaitGuestV6() throws InterruptedException {
        Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::1/64' && ! ip -6 addr show dev tap0 | grep -q tentative");
    }
}
