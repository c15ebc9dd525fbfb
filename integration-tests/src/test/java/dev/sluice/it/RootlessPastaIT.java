package dev.sluice.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * pasta as an ordinary user (docs/passt-drop-in.md, "rootless"): a fresh uid with no
 * passwd entry, started with setpriv inside the test's host namespace h, runs a command
 * in a user and network namespace of its own, joins a rootless namespace by PID and by
 * --userns/--netns, with -T and -U forwards to h's loopback.
 *
 * <p>This machine's /dev/net/tun is 0600, which no user namespace can open; each run
 * therefore gets a private mount namespace (made here, as root) with a 0666 tun node on
 * a tmpfs over /dev/net. The machine's own node is never touched.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RootlessPastaIT {
    private Topology topo;
    private Path dir;
    private Path file;
    private int uid;
    private Background servers;

    @BeforeAll
    void start() throws Exception {
        Prerequisites.require(Cmd.has("unshare") && Cmd.has("nsenter") && Cmd.has("setpriv") && Cmd.has("socat")
                && Cmd.has("busybox"), "util-linux unshare/nsenter/setpriv, socat and busybox");
        topo = Topology.create();
        uid = 61000 + ThreadLocalRandom.current().nextInt(3000);
        dir = Files.createTempDirectory(SluiceProcess.workDir(), "rootless-");
        Cmd.run(5, "chmod", "0755", dir.toString()).ok();
        Path www = Files.createDirectories(dir.resolve("www"));
        file = Files2.random(www, "f", 1 << 20, 17);
        Cmd.run(5, "chmod", "-R", "a+rX", dir.toString()).ok();
        servers = new Background();
        servers.start(topo.lan, "busybox httpd -f -p 80 -h " + www);
        // h's loopback services for -T and -U
        servers.start(topo.h, "socat -t 5 TCP4-LISTEN:18081,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo tcp-spliced'");
        servers.start(topo.h, "socat UDP4-RECVFROM:15353,bind=127.0.0.1,fork SYSTEM:'echo udp-relayed'");
        Thread.sleep(300);
    }

    @AfterAll
    void stop() {
        try {
            if (servers != null) {
                servers.close();
            }
            if (uid > 0) {
                Cmd.run(5, "pkill", "-KILL", "-U", String.valueOf(uid)); // only the test's own fresh uid
            }
        } finally {
            if (topo != null) {
                topo.close();
            }
        }
    }

    private String pasta() {
        return SluiceProcess.home().resolve("bin/pasta").toString();
    }

    /** script, run in h as the test's user, in a mount namespace with a usable tun node (unless plainTun). */
    private Cmd.Result asUser(String script, boolean plainTun) {
        String user = "exec setpriv --reuid " + uid + " --regid " + uid + " --clear-groups env HOME=" + dir
                + " PASTA=" + pasta() + " sh -c '" + script.replace("'", "'\\''") + "'";
        String outer = plainTun ? user
                : "mount -t tmpfs -o mode=755 tmpfs /dev/net && mknod -m 666 /dev/net/tun c 10 200 && " + user;
        return Cmd.inNs(topo.h, 120, "unshare", "--mount", "--propagation", "private", "sh", "-c", outer);
    }

    private void assertNoProcessLeft() throws Exception {
        String left = "";
        for (int i = 0; i < 50; i++) {
            left = Cmd.run(5, "sh", "-c", "pgrep -a -U " + uid + " || true").out().trim();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        assertEquals("", left, "processes of the test's user left behind");
    }

    @Test
    void commandModeAsAnOrdinaryUserDownloadsForwardsAndPassesTheStatus() throws Exception {
        Cmd.Result r = asUser("\"$PASTA\" --config-net -q -T 18081 -U 15353 -- sh -c '"
                + "id -u; busybox wget -q -O - http://10.99.0.1/f | sha256sum; "
                + "socat -t 5 - TCP4:127.0.0.1:18081 </dev/null; "
                + "echo hi | socat -t 2 - UDP4:127.0.0.1:15353; exit 3'", false);
        assertEquals(3, r.exit(), r.out());
        assertTrue(r.out().contains(Files2.sha256(file)), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().equals("0")), "root inside its user namespace: " + r.out());
        assertTrue(r.out().contains("tcp-spliced"), "-T: " + r.out());
        assertTrue(r.out().contains("udp-relayed"), "-U: " + r.out());
        assertNoProcessLeft();

        Cmd.Result failing = asUser("\"$PASTA\" --config-net -q -- sh -c 'exit 42'", false);
        assertEquals(42, failing.exit(), failing.out());
        assertNoProcessLeft();
    }

    @Test
    void joinsARootlessNamespaceByPidAndByUsernsAndNetns() throws Exception {
        // A rootless "container": namespaces held by a sleep; pasta joins them from outside.
        String join = "unshare --user --map-root-user --net sleep 60 & p=$!; sleep 0.5; "
                + "\"$PASTA\" --config-net -q -f ARGS & s=$!; "
                + "for i in $(seq 200); do nsenter --preserve-credentials -U -n -t $p ip -br addr 2>/dev/null "
                + "| grep -q 10.77.0.1 && break; sleep 0.1; done; "
                + "nsenter --preserve-credentials -U -n -t $p busybox wget -q -O - http://10.99.0.1/f | sha256sum; "
                + "kill $p; wait $s; echo pasta-exit $?";
        for (String args : new String[] {"$p", "--userns /proc/$p/ns/user --netns /proc/$p/ns/net"}) {
            Cmd.Result r = asUser(join.replace("ARGS", args), false);
            assertTrue(r.out().contains(Files2.sha256(file)), args + ": " + r.out());
            assertTrue(r.out().contains("pasta-exit 0"), "quits when the namespace goes: " + r.out());
            assertNoProcessLeft();
        }
    }

    @Test
    void rootOfTheUserNamespaceEntersTheNetworkNamespaceItselfAsUnderRootlessPodman() throws Exception {
        // Rootless Podman starts pasta inside its user namespace, as its root, with --netns only.
        Cmd.Result r = asUser("unshare --user --map-root-user sh -c '"
                + "unshare --net sleep 60 & p=$!; sleep 0.5; "
                + "\"$PASTA\" --config-net -q --netns /proc/$p/ns/net; echo pasta-exit $?; "
                + "nsenter -n -t $p busybox wget -q -O - http://10.99.0.1/f | sha256sum; kill $p'", false);
        assertTrue(r.out().contains("pasta-exit 0"), "returned once ready: " + r.out());
        assertTrue(r.out().contains(Files2.sha256(file)), r.out());
        assertNoProcessLeft(); // pasta quits once its namespace is gone
    }

    @Test
    void autoForwardsFollowTheListenersOfTheOtherSide() throws Exception {
        // -T auto: h's loopback listener 18081 appears on the namespace's loopback. -t auto: a
        // listener started in the namespace gets a host listener, seen here through the gateway
        // (mapped to h's loopback, hence to that listener and back in); gone when it stops.
        Cmd.Result r = asUser("\"$PASTA\" --config-net -t auto -T auto -- sh -c '"
                + "for i in $(seq 50); do socat -t 5 - TCP4:127.0.0.1:18081 </dev/null 2>/dev/null | grep -q tcp-spliced"
                + " && { echo T-auto-ok; break; }; sleep 0.2; done; "
                + "gw=$(ip -4 route show default | cut -d\" \" -f3); "
                + "socat TCP4-LISTEN:18090,reuseaddr,fork SYSTEM:\"echo from-ns\" & l=$!; "
                + "for i in $(seq 50); do socat -t 5 - TCP4:$gw:18090 </dev/null 2>/dev/null | grep -q from-ns"
                + " && { echo t-auto-ok; break; }; sleep 0.2; done; "
                + "kill $l; wait $l 2>/dev/null; "
                // refused: nothing listens on h any more (while forwarded, h accepts and the guest resets)
                + "for i in $(seq 50); do socat -t 2 - TCP4:$gw:18090 </dev/null 2>&1 | grep -q -i refused"
                + " && { echo t-auto-removed; break; }; sleep 0.2; done'", false);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("T-auto-ok"), "-T auto: " + r.out());
        assertTrue(r.out().contains("t-auto-ok"), "-t auto: " + r.out());
        assertTrue(r.out().contains("t-auto-removed"), "-t auto, listener gone: " + r.out());
        assertTrue(r.out().contains("auto: forwarding TCP port 18090")
                && r.out().contains("auto: no longer forwarding TCP port 18090"), r.out());
        assertNoProcessLeft();
    }

    @Test
    void anUnusableTunIsOneLineNamingIt() throws Exception {
        String mode = Cmd.run(5, "stat", "-c", "%a", "/dev/net/tun").ok().out().trim();
        // not a missing prerequisite: with Debian's 0666 node there is nothing to refuse
        org.junit.jupiter.api.Assumptions.assumeFalse(mode.equals("666"), "/dev/net/tun is 0666 here");
        Cmd.Result r = asUser("\"$PASTA\" --config-net -q -- true", true);
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("pasta: cannot open /dev/net/tun (mode 0" + mode + ")")),
                r.out());
        assertNoProcessLeft();
    }
}
