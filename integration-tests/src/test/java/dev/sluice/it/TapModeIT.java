package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tap mode (pasta-style): Sluice runs in the host namespace h and opens a tap
 * in the guest namespace g; the guest kernel and real clients configure it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TapModeIT {
    private Topology topo;
    private SluiceProcess sluice;
    private Path pcap;

    @BeforeAll
    void start() throws Exception {
        topo = Topology.create();
        pcap = Files.createTempFile(SluiceProcess.workDir(), "tap-", ".pcap");
        sluice = SluiceProcess.start(topo.h, "--netns", topo.g, "-I", "tap0", "-p", pcap.toString(), "-d");
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
    @Order(1)
    void udhcpcGetsExactlyWhatSluiceAnnounced() throws Exception {
        Map<String, String> env = Guest.udhcpc(topo.g, "tap0");
        assertEquals("10.77.0.1", env.get("ip"), env.toString());
        assertEquals("255.255.255.0", env.get("subnet"), env.toString());
        assertEquals("10.77.0.254", env.get("router"), env.toString());
        assertEquals("10.99.0.1", env.get("dns").trim(), env.toString());
        assertEquals("65520", env.get("mtu"), env.toString());
        assertTrue(env.getOrDefault("search", "").contains("sluice.test")
                || env.getOrDefault("domain", "").contains("sluice.test"), env.toString());
        // The log announced the same values.
        String log = sluice.log();
        assertTrue(log.contains("assign: 10.77.0.1") && log.contains("router: 10.77.0.254")
                && log.contains("DNS: 10.99.0.1") && log.contains("mtu: 65520"), log);
    }

    @Test
    @Order(2)
    void gatewayResolvesByArp() throws Exception {
        topo.sh(topo.g, "ip addr replace 10.77.0.1/24 dev tap0");
        Cmd.shIn(topo.g, 10, "ping -c 1 -W 1 10.77.0.254");
        assertTrue(Guest.await(topo.g, 10, "ip neigh show 10.77.0.254 dev tap0 | grep -q 'lladdr 9a:55:9a:55:9a:55'"),
                Cmd.shIn(topo.g, 10, "ip neigh").out());
    }

    @Test
    @Order(3)
    void slaacFormsAddressInHostPrefixWithDefaultRouteViaSluice() throws Exception {
        assertTrue(Guest.await(topo.g, 20,
                        "ip -6 addr show dev tap0 scope global | grep -q 'inet6 fd77::' && ip -6 route show default | grep -q 'via fe80::1 dev tap0'"),
                Cmd.shIn(topo.g, 10, "ip -6 addr; ip -6 route").out());
        // The router's link-layer address was learned (RA SLLA or NA).
        assertTrue(Guest.await(topo.g, 10, "ping -6 -c 1 -W 1 fe80::1%tap0 >/dev/null 2>&1; ip -6 neigh show fe80::1 dev tap0 | grep -q 'lladdr 9a:55:9a:55:9a:55'"),
                Cmd.shIn(topo.g, 10, "ip -6 neigh").out());
    }

    @Test
    @Order(4)
    void dhcpv6ClientGetsTheGuestAddress() throws Exception {
        assertTrue(Guest.await(topo.g, 20, "! ip -6 addr show dev tap0 | grep -q tentative"));
        Path dir = SluiceProcess.workDir();
        String lease = dir.resolve("dhclient6-" + topo.suffix + ".lease").toString();
        String pid = dir.resolve("dhclient6-" + topo.suffix + ".pid").toString();
        // A private script: it only assigns the leased address. Debian's
        // dhclient-script would also rewrite /etc/resolv.conf.
        Path script = dir.resolve("dhclient6-" + topo.suffix + ".sh");
        Files.writeString(script, "#!/bin/sh\n"
                + "case \"$reason\" in BOUND6|RENEW6|REBIND6|REBOOT6)\n"
                + "  ip -6 addr replace \"$new_ip6_address/$new_ip6_prefixlen\" dev \"$interface\" nodad ;;\n"
                + "esac\nexit 0\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Cmd.Result r = Cmd.inNs(topo.g, 60, "dhclient", "-6", "-1", "-v", "-sf", script.toString(),
                "-lf", lease, "-pf", pid, "tap0");
        try {
            assertTrue(Guest.await(topo.g, 10, "ip -6 addr show dev tap0 | grep -q 'inet6 fd77::1/'"),
                    r.out() + "\n" + Cmd.shIn(topo.g, 10, "ip -6 addr").out());
        } finally {
            Cmd.run(10, "sh", "-c", "[ -f " + pid + " ] && kill $(cat " + pid + ") 2>/dev/null; rm -f " + pid + " " + lease + " " + script);
        }
    }

    @Test
    @Order(5)
    void pcapHoldsTheDhcpExchange() throws Exception {
        int exit = sluice.stop();
        assertEquals(0, exit, sluice.log());
        Cmd.Result r = Cmd.run(30, "tcpdump", "-n", "-r", pcap.toString()).ok();
        assertTrue(r.out().contains("BOOTP/DHCP, Request"), r.out());
        assertTrue(r.out().contains("BOOTP/DHCP, Reply"), r.out());
        assertTrue(r.out().contains("router advertisement"), r.out());
    }
}
