package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.it.vm.TestVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The seed's command line, {@code sluice -t 2222 --no-map-gw --vhost-user --socket PATH --plugin no-map-host}
 * (plus {@code --dns-forward}), with a real QEMU guest (TestVm, TCG) on the vhost-user socket. One boot
 * runs every check; a second boot follows QEMU killed in the middle of a transfer; a third runs the main
 * checks through a stream-mode Sluice (the same VM image, -netdev stream). Sluice runs in h.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VhostUserIT {
    private static final String DNS_FORWARD = "10.77.0.53";
    private Topology topo;
    private final Background bg = new Background();
    private SluiceProcess sluice;
    private Path socket;
    private TestVm vm;
    private String bigSha;
    private int baselineFds;
    private long baselineEventFds;

    @BeforeAll
    void start() throws Exception {
        boolean ok = TestVm.available();
        if (!ok && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("qemu-system-x86_64, apt-get, dpkg-deb, busybox, iperf3 and socat are needed");
        }
        Assumptions.assumeTrue(ok, "the test VM's tools are not installed");
        TestVm.images(); // build (or reuse) before anything else runs
        topo = Topology.create();
        Path work = Files.createTempDirectory(SluiceProcess.workDir(), "vhost-");
        Path www = Files.createDirectories(work.resolve("www"));
        Cmd.run(60, "sh", "-c", "head -c 67108864 /dev/urandom > " + www.resolve("big")).ok();
        bigSha = Cmd.run(60, "sh", "-c", "sha256sum " + www.resolve("big") + " | cut -c1-64").ok().out().trim();
        bg.start(topo.lan, "busybox httpd -f -p 10.99.0.1:8080 -h " + www);
        bg.start(topo.lan, "socat UDP4-LISTEN:7000,bind=10.99.0.1,fork,reuseaddr EXEC:cat");
        bg.start(topo.lan, "dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address=10.99.0.1"
                + " --address=/www.sluice.test/10.99.0.80 --pid-file=" + work.resolve("dnsmasq.pid"));
        // A host service on h's second address: reachable in principle, refused by no-map-host.
        bg.start(topo.h, "socat TCP4-LISTEN:7001,bind=10.66.0.1,fork,reuseaddr SYSTEM:'echo host-service'");
        socket = work.resolve("vhost.sock");
        sluice = SluiceProcess.start(topo.h, "-t", "2222", "--no-map-gw", "--vhost-user", "--socket", socket.toString(),
                "--plugin", "no-map-host", "--dns-forward", DNS_FORWARD, "-d");
        baselineFds = fds().size();
        baselineEventFds = fds().values().stream().filter(t -> t.contains("eventfd")).count();
        vm = TestVm.boot(topo.g, TestVm.Netdev.vhostUser(socket));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (vm != null) {
                vm.close();
            }
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

    private Map<String, String> fds() throws IOException {
        Map<String, String> m = new HashMap<>();
        Path dir = Path.of("/proc", Long.toString(sluice.process().pid()), "fd");
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    m.put(p.getFileName().toString(), Files.readSymbolicLink(p).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return m;
    }

    private long memfdMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(sluice.process().pid()), "maps")).stream()
                .filter(l -> l.contains("memfd:")).count();
    }

    private static String banner(String log, String key) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(key) + ": (\\S+)").matcher(log);
        return m.find() ? m.group(1) : null;
    }

    private Map<String, String> lease(TestVm guest) throws Exception {
        String out = guest.exec("ip link set eth0 up && udhcpc -i eth0 -s /udhcpc.script -n -q -t 10 -T 3 >/dev/null"
                + " && cat /tmp/lease", 90).ok().out();
        Map<String, String> m = new HashMap<>();
        for (String kv : out.trim().replaceFirst("^.*lease ", "").split(" ")) {
            int i = kv.indexOf('=');
            if (i > 0) {
                m.put(kv.substring(0, i), kv.substring(i + 1));
            }
        }
        return m;
    }

    private void download(TestVm guest) throws Exception {
        String out = guest.exec("wget -q -O - http://10.99.0.1:8080/big | sha256sum", 240).ok().out();
        assertTrue(out.startsWith(bigSha), "download sha256: " + out + " expected " + bigSha);
    }

    @Test
    @Order(1)
    void theBannerPrintsTheQemuLineAndTheGuestsQueuesRun() throws Exception {
        String log = sluice.log();
        assertTrue(log.contains("-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem"
                + " -chardev socket,id=c0,path=" + socket + " -netdev vhost-user,id=n0,chardev=c0"
                + " -device virtio-net-pci,netdev=n0"), log);
        assertTrue(sluice.awaitLog("guest's queues are running", 30), sluice.log());
    }

    @Test
    @Order(2)
    void dhcpLeaseIsWhatSluiceAnnounces() throws Exception {
        Map<String, String> l = lease(vm);
        String log = sluice.log();
        assertEquals(banner(log, "assign"), l.get("ip"), l.toString());
        assertEquals(banner(log, "router"), l.get("router"), l.toString());
        assertEquals(banner(log, "DNS"), l.get("dns"), l.toString());
        assertEquals(banner(log, "mtu"), l.get("mtu"), l.toString());
        assertEquals("10.77.0.1", l.get("ip"));
        assertEquals("65520", l.get("mtu"));
    }

    @Test
    @Order(3)
    void slaacGivesTheHostsPrefix() throws Exception {
        String out = vm.exec("for i in $(seq 40); do ip -6 addr show dev eth0 scope global | grep -q 'inet6 fd77:'"
                + " && break; sleep 0.5; done; ip -6 addr show dev eth0 scope global", 60).ok().out();
        assertTrue(out.contains("inet6 fd77:"), out);
    }

    @Test
    @Order(4)
    void pingGatewayAndTheInternet() throws Exception {
        vm.exec("ping -c 1 -W 5 10.77.0.254", 30).ok();
        vm.exec("ping -c 1 -W 5 10.99.0.1", 30).ok();
    }

    @Test
    @Order(5)
    void tcpDownloadAndUploadOf64MiBKeepTheirSha256() throws Exception {
        download(vm);
        Path got = SluiceProcess.workDir().resolve("vhost-upload-" + topo.suffix);
        Process sink = bg.start(topo.lan, "socat -u TCP4-LISTEN:9000,bind=10.99.0.1,reuseaddr OPEN:" + got + ",creat,trunc");
        String sha = vm.exec("dd if=/dev/urandom of=/tmp/up bs=1M count=64 2>/dev/null && sha256sum /tmp/up | cut -c1-64",
                120).ok().out().trim();
        vm.exec("nc 10.99.0.1 9000 < /tmp/up && rm /tmp/up", 240).ok();
        assertTrue(sink.waitFor(30, TimeUnit.SECONDS), "the upload's receiver did not finish");
        String hostSha = Cmd.run(60, "sh", "-c", "sha256sum " + got + " | cut -c1-64").ok().out().trim();
        assertEquals(sha, hostSha);
        Files.deleteIfExists(got);
    }

    @Test
    @Order(6)
    void udpEcho() throws Exception {
        String out = vm.exec("echo hello-udp | socat -t 3 - UDP4:10.99.0.1:7000", 30).ok().out();
        assertTrue(out.contains("hello-udp"), out);
    }

    @Test
    @Order(7)
    void dnsThroughDnsForward() throws Exception {
        // The exit status is not checked: the test server answers A only and refuses AAAA.
        String out = vm.exec("nslookup -type=a www.sluice.test " + DNS_FORWARD, 30).out();
        assertTrue(out.contains("10.99.0.80"), out);
    }

    @Test
    @Order(8)
    void seedScenarioRefusesHostAddressesAndForwardsInbound() throws Exception {
        // no-map-host: h's own 10.66.0.1 is refused at once (RST: "Connection refused", not a timeout).
        TestVm.Result r = vm.exec("socat -T 5 - TCP:10.66.0.1:7001,connect-timeout=5 </dev/null", 30);
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("Connection refused"), r.out());
        // 10.99.0.1 stays reachable.
        String ok = vm.exec("wget -q -O - http://10.99.0.1:8080/ >/dev/null 2>&1; echo done", 30).out();
        assertTrue(ok.contains("done"));
        vm.exec("ping -c 1 -W 5 10.99.0.1", 30).ok();
        // -t 2222: h's port 2222 reaches the guest (from the lan: with --no-map-gw a connection from h's
        // loopback has no address to appear from in the guest).
        vm.exec("(socat TCP4-LISTEN:2222,reuseaddr SYSTEM:'echo guest-service' >/dev/null 2>&1 &) ; sleep 1", 30).ok();
        Cmd.Result in = Cmd.shIn(topo.lan, 30, "socat -t 10 - TCP:10.77.0.1:2222 </dev/null");
        assertTrue(in.out().contains("guest-service"), in.out() + "\n" + sluice.log());
    }

    @Test
    @Order(9)
    void qemuKilledMidTransferLeavesNothingAndTheNextGuestIsServed() throws Exception {
        assertTrue(memfdMappings() > 0, "while attached, guest memory is mapped");
        vm.exec("(wget -q -O /dev/null http://10.99.0.1:8080/big >/dev/null 2>&1 &); sleep 2", 30).ok();
        vm.kill();
        vm = null;
        assertTrue(sluice.awaitLog("vhost-user front-end disconnected", 30), sluice.log());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<String, String> now = fds();
        while ((now.size() != baselineFds || memfdMappings() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            now = fds();
        }
        assertEquals(0, memfdMappings(), "no mapping of the old guest's memory remains");
        assertFalse(now.values().stream().anyMatch(t -> t.contains("memfd")), now.toString());
        assertEquals(baselineEventFds, now.values().stream().filter(t -> t.contains("eventfd")).count(),
                "kick/call/err eventfds of the old guest closed: " + now);
        assertEquals(baselineFds, now.size(), "descriptors back to what Sluice had before any guest: " + now);
        assertTrue(sluice.process().isAlive());

        vm = TestVm.boot(topo.g, TestVm.Netdev.vhostUser(socket));
        Map<String, String> l = lease(vm);
        assertEquals("10.77.0.1", l.get("ip"), l.toString());
        download(vm);
    }

    @Test
    @Order(10)
    void theSameVmThroughTheStreamSocket() throws Exception {
        vm.close();
        vm = null;
        Path streamSocket = socket.resolveSibling("stream.sock");
        try (SluiceProcess stream = SluiceProcess.start(topo.h, "-s", streamSocket.toString(), "--no-map-gw",
                "--dns-forward", DNS_FORWARD, "-d")) {
            vm = TestVm.boot(topo.g, TestVm.Netdev.stream(streamSocket));
            Map<String, String> l = lease(vm);
            assertEquals(banner(stream.log(), "assign"), l.get("ip"), l.toString());
            assertEquals("65520", l.get("mtu"));
            vm.exec("ping -c 1 -W 5 10.99.0.1", 30).ok();
            download(vm);
            String udp = vm.exec("echo hello-udp | socat -t 3 - UDP4:10.99.0.1:7000", 30).ok().out();
            assertTrue(udp.contains("hello-udp"), udp);
            String dns = vm.exec("nslookup -type=a www.sluice.test " + DNS_FORWARD, 30).out();
            assertTrue(dns.contains("10.99.0.80"), dns);
            vm.close();
            vm = null;
        }
    }
}
