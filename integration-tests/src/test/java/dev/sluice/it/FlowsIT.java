package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Translation end to end (issue 3): the guest kernel's TCP, UDP and ICMP
 * through Sluice's host sockets to servers in the lan namespace ("the
 * internet") and on the host's loopback (via the gateway mapping), and
 * inbound port forwards into the guest. Real peers only: curl, busybox
 * httpd, socat, dnsmasq, ping, iperf3.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowsIT {
    static final long BIG = 64L << 20;
    private Topology topo;
    private SluiceProcess sluice;
    private final Background bg = new Background();
    private Path www;
    private Path big;
    private String bigSha;
    private Path tmp;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        tmp = Files.createTempDirectory(SluiceProcess.workDir(), "flows-");
        www = Files.createDirectories(tmp.resolve("www"));
        big = Files2.random(www, "big", BIG, 42);
        bigSha = Files2.sha256(big);
        Files.writeString(www.resolve("small"), "small\n");
        Files.writeString(www.resolve("whoami"), "lan\n");
        Path www2 = Files.createDirectories(tmp.resolve("www2"));
        Files.writeString(www2.resolve("whoami"), "lan2\n");
        Files2.random(tmp, "1m", 1 << 20, 7);

        bg.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        bg.start(topo.lan2, "busybox httpd -f -p 80 -h " + www2);
        bg.start(topo.h, "busybox httpd -f -p 127.0.0.1:8081 -h " + www);
        bg.start(topo.h, "busybox httpd -f -p [::1]:8081 -h " + www);
        bg.start(topo.lan, "socat UDP4-LISTEN:7000,bind=10.99.0.1,fork,reuseaddr EXEC:cat");
        bg.start(topo.lan, "socat UDP6-LISTEN:7000,bind=[fd99::1],fork,reuseaddr EXEC:cat");
        bg.start(topo.lan, "dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=10.99.0.1"
                + " --address=/www.sluice.test/10.99.0.80 --address=/www.sluice.test/fd99::80 --pid-file=" + tmp.resolve("dnsmasq.pid"));
        bg.start(topo.h, "iperf3 -s -B 127.0.0.1 -p 5201");
        // The guest side of the inbound forwards: a web server and a UDP echo.
        bg.start(topo.g, "busybox httpd -f -p 80 -h " + www);
        bg.start(topo.g, "socat UDP4-LISTEN:7777,fork,reuseaddr EXEC:cat");

        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "--config-net",
                "-t", "8080:80", "-u", "7777");
        assertTrue(Guest.await(topo.g, 20, "ip -6 addr show dev tap0 | grep -q 'fd77::1/64' && ! ip -6 addr show dev tap0 | grep -q tentative"),
                Cmd.shIn(topo.g, 10, "ip addr; ip -6 route").out());
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
        }
    }

    private String curlSha(String ns, String url) {
        Cmd.Result r = Cmd.shIn(ns, 180, "curl -g -sS --fail --max-time 150 " + url + " | sha256sum");
        assertEquals(0, r.exit(), url + ": " + r.out() + "\n" + sluice.log());
        return r.out().trim().split("\\s+")[0];
    }

    @Test
    void tcpDownloadV4AndV6FromTheInternet() {
        assertEquals(bigSha, curlSha(topo.g, "http://10.99.0.1/big"));
        assertEquals(bigSha, curlSha(topo.g, "http://[fd99::1]/big"));
    }

    @Test
    void tcpDownloadFromHostLoopbackThroughTheGateway() {
        assertEquals(bigSha, curlSha(topo.g, "http://10.77.0.254:8081/big"));
        assertEquals(bigSha, curlSha(topo.g, "http://[fd77::fe]:8081/big"));
    }

    @Test
    void tcpUploadV4AndV6() throws Exception {
        for (String target : new String[] {"10.99.0.1", "[fd99::1]"}) {
            Path got = tmp.resolve("upload-" + (target.startsWith("[") ? "v6" : "v4"));
            String listen = target.startsWith("[") ? "TCP6-LISTEN:9000,reuseaddr" : "TCP4-LISTEN:9000,reuseaddr";
            Process server = bg.start(topo.lan, "socat -u " + listen + " OPEN:" + got + ",creat,trunc");
            Thread.sleep(300);
            Cmd.Result r = Cmd.shIn(topo.g, 180, "socat -u OPEN:" + big + " TCP:" + target + ":9000");
            assertEquals(0, r.exit(), r.out());
            assertTrue(server.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "server saw the end of the upload");
            assertEquals(bigSha, Files2.sha256(got), "upload to " + target);
        }
    }

    @Test
    void twoHundredConcurrentShortConnectionsAndTheHostSocketsGoAway() throws Exception {
        Cmd.Result r = Cmd.shIn(topo.g, 120, "for i in $(seq 200); do curl -s -o /dev/null --max-time 60 -w '%{http_code}\\n' http://10.99.0.1/small & done; wait");
        long ok = r.out().lines().filter(l -> l.equals("200")).count();
        assertEquals(200, ok, r.out());
        assertTrue(Guest.await(topo.h, 60, "[ $(ss -Htn state established dst 10.99.0.1 | wc -l) -eq 0 ]"),
                Cmd.shIn(topo.h, 10, "ss -tn").out());
    }

    @Test
    void refusedPortIsRefusedAtOnceAndHalfCloseKeepsTheReply() throws Exception {
        // curl exit 7 = connection refused; a timeout would be 28.
        Cmd.Result refused = Cmd.shIn(topo.g, 60, "curl -sS --connect-timeout 20 http://10.99.0.1:81/");
        assertEquals(7, refused.exit(), refused.out());
        Cmd.Result refused6 = Cmd.shIn(topo.g, 60, "curl -g -sS --connect-timeout 20 http://[fd99::1]:81/");
        assertEquals(7, refused6.exit(), refused6.out());

        Path oneMeg = tmp.resolve("1m");
        bg.start(topo.lan, "socat -t 20 TCP4-LISTEN:9001,reuseaddr,fork SYSTEM:'cat >/dev/null; cat " + oneMeg + "'");
        Thread.sleep(300);
        Cmd.Result r = Cmd.shIn(topo.g, 60, "printf request | socat -t 20 - TCP:10.99.0.1:9001 | sha256sum");
        assertEquals(Files2.sha256(oneMeg), r.out().trim().split("\\s+")[0],
                "the client shut its write side and still got the whole reply");
    }

    @Test
    void udpEchoV4V6AndFiftyConcurrentFlows() {
        Cmd.Result v4 = Cmd.shIn(topo.g, 30, "echo hello4 | socat -t 3 - UDP4:10.99.0.1:7000");
        assertEquals("hello4", v4.out().trim(), v4.out());
        Cmd.Result v6 = Cmd.shIn(topo.g, 30, "echo hello6 | socat -t 3 - UDP6:[fd99::1]:7000");
        assertEquals("hello6", v6.out().trim(), v6.out());
        Cmd.Result many = Cmd.shIn(topo.g, 60,
                "for i in $(seq 50); do (echo flow$i | socat -t 5 - UDP4:10.99.0.1:7000) & done; wait");
        long got = many.out().lines().filter(l -> l.matches("flow\\d+")).distinct().count();
        assertEquals(50, got, many.out());
    }

    @Test
    void dnsQueryAnsweredByTheServerInTheLan() {
        Cmd.Result r = Cmd.shIn(topo.g, 30, "nslookup www.sluice.test 10.99.0.1");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("10.99.0.80"), r.out());
        Cmd.Result tcp = Cmd.shIn(topo.g, 30, "dig +tcp +short +time=5 +tries=1 @10.99.0.1 www.sluice.test");
        assertEquals("10.99.0.80", tcp.out().trim(), tcp.out());
    }

    @Test
    void pingTheInternetAndTheGateway() {
        for (String cmd : new String[] {"ping -c 2 -W 3 10.99.0.1", "ping -6 -c 2 -W 3 fd99::1", "ping -c 2 -W 3 10.77.0.254"}) {
            Cmd.Result r = Cmd.shIn(topo.g, 30, cmd);
            assertEquals(0, r.exit(), cmd + ": " + r.out() + "\n" + sluice.log());
        }
    }

    @Test
    void inboundTcpAndUdpForwards() throws Exception {
        Cmd.Result local = Cmd.shIn(topo.h, 120, "curl -sS --fail --max-time 100 http://127.0.0.1:8080/big | sha256sum");
        assertEquals(bigSha, local.out().trim().split("\\s+")[0], local.out());
        Cmd.Result fromLan = Cmd.shIn(topo.lan, 120, "curl -sS --fail --max-time 100 http://10.77.0.1:8080/big | sha256sum");
        assertEquals(bigSha, fromLan.out().trim().split("\\s+")[0], fromLan.out());
        Cmd.Result udp = Cmd.shIn(topo.h, 30, "echo inbound | socat -t 3 - UDP4:127.0.0.1:7777");
        assertEquals("inbound", udp.out().trim(), udp.out());
    }

    @Test
    void iperf3BothDirectionsAtBothMtus() {
        for (int mtu : new int[] {65520, 1500}) {
            Cmd.shIn(topo.g, 10, "ip link set tap0 mtu " + mtu);
            for (String dir : new String[] {"", "-R"}) {
                Cmd.Result r = Cmd.shIn(topo.g, 60, "iperf3 -c 10.77.0.254 -p 5201 -t 2 -J " + dir);
                assertEquals(0, r.exit(), "mtu " + mtu + " " + dir + ": " + r.out());
                assertTrue(receivedBytes(r.out()) > 0, "data flowed: " + r.out());
            }
        }
        Cmd.shIn(topo.g, 10, "ip link set tap0 mtu 65520");
    }

    /** end.sum_received.bytes of iperf3's JSON report. */
    static long receivedBytes(String json) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
