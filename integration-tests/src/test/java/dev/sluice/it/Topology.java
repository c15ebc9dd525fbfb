package dev.sluice.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The design's test topology, built fresh per test class with a random suffix
 * and torn down afterwards (also on failure, and by a shutdown hook if the
 * JVM is killed):
 * <pre>
 * lan-S  router: up0 10.77.0.254/24 fd77::fe/64; "the internet" on lo: 10.99.0.1, fd99::1
 *   | veth
 * h-S    the host: eth0 10.77.0.1/24 fd77::1/64, default via .254 / fd77::fe;
 *        second uplink dum0 10.66.0.1/24 fd66::1/64 (a veth: no dummy type here) with a
 *        second default route of higher metric, used only by sockets bound to dum0;
 *        /etc/netns/h-S/resolv.conf names 10.99.0.1 and fd99::1 only
 *   | veth
 * lan2-S second router: up0 10.66.0.254/24 fd66::fe/64; also holds 10.99.0.1, fd99::1 on lo
 *        (a different "internet": its servers answer differently, so a test can tell the uplinks apart)
 * g-S    the guest: empty, Sluice puts its tap here (or QEMU does)
 * </pre>
 * Traffic stays inside these namespaces and their loopbacks.
 */
public final class Topology implements AutoCloseable {
    public final String suffix;
    public final String lan;
    public final String h;
    public final String g;
    public final String lan2;
    private final List<String> namespaces = new ArrayList<>();
    private final Thread hook;

    private Topology(String suffix) {
        this.suffix = suffix;
        this.lan = "slan-" + suffix;
        this.h = "sh-" + suffix;
        this.g = "sg-" + suffix;
        this.lan2 = "slan2-" + suffix;
        this.hook = new Thread(this::teardown, "topology-teardown-" + suffix);
    }

    public static Topology create() {
        String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 32, 1L << 36), 36);
        Topology t = new Topology(suffix);
        Runtime.getRuntime().addShutdownHook(t.hook);
        try {
            t.build();
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    private void addNs(String ns) {
        // Every namespace gets a private resolv.conf, which `ip netns exec` bind-mounts
        // over /etc/resolv.conf: Sluice in h never learns this machine's real resolver,
        // and a client's script (dhclient-script...) can never rewrite the machine's.
        try {
            Files.createDirectories(Path.of("/etc/netns", ns));
            Files.writeString(Path.of("/etc/netns", ns, "resolv.conf"),
                    "nameserver 10.99.0.1\nnameserver fd99::1\nsearch sluice.test\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Cmd.run(10, "ip", "netns", "add", ns).ok();
        namespaces.add(ns);
        Cmd.inNs(ns, 10, "ip", "link", "set", "lo", "up").ok();
    }

    private void build() {
        addNs(lan);
        addNs(h);
        addNs(g);
        addNs(lan2);
        // lan <-> h
        Cmd.run(10, "ip", "link", "add", "up0", "netns", lan, "type", "veth", "peer", "name", "eth0", "netns", h).ok();
        sh(lan, "ip addr add 10.77.0.254/24 dev up0 && ip -6 addr add fd77::fe/64 dev up0 nodad && ip link set up0 up"
                + " && ip addr add 10.99.0.1/32 dev lo && ip -6 addr add fd99::1/128 dev lo"
                + " && sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"
                + " && ip route add 10.66.0.0/24 via 10.77.0.1 && ip -6 route add fd66::/64 via fd77::1");
        sh(h, "ip addr add 10.77.0.1/24 dev eth0 && ip -6 addr add fd77::1/64 dev eth0 nodad && ip link set eth0 up"
                + " && ip route add default via 10.77.0.254 metric 100 && ip -6 route add default via fd77::fe metric 100"
                + " && sysctl -qw net.ipv4.ping_group_range='0 2147483647'");
        // h <-> lan2: the second uplink
        Cmd.run(10, "ip", "link", "add", "up0", "netns", lan2, "type", "veth", "peer", "name", "dum0", "netns", h).ok();
        sh(lan2, "ip addr add 10.66.0.254/24 dev up0 && ip -6 addr add fd66::fe/64 dev up0 nodad && ip link set up0 up"
                + " && ip addr add 10.99.0.1/32 dev lo && ip -6 addr add fd99::1/128 dev lo"
                + " && ip route add 10.77.0.0/24 via 10.66.0.1 && ip -6 route add fd77::/64 via fd66::1");
        sh(h, "ip addr add 10.66.0.1/24 dev dum0 && ip -6 addr add fd66::1/64 dev dum0 nodad && ip link set dum0 up"
                + " && ip route add default via 10.66.0.254 dev dum0 metric 200"
                + " && ip -6 route add default via fd66::fe dev dum0 metric 200");
    }

    public Cmd.Result sh(String ns, String script) {
        return Cmd.shIn(ns, 30, script).ok();
    }

    private void teardown() {
        for (String ns : namespaces) {
            // Kill anything still running in the namespace before removing it.
            Cmd.run(10, "sh", "-c", "ip netns pids " + ns + " 2>/dev/null | xargs -r kill -9");
            Cmd.run(10, "ip", "netns", "del", ns);
        }
        for (String ns : List.of(lan, h, g, lan2)) {
            try {
                Files.deleteIfExists(Path.of("/etc/netns", ns, "resolv.conf"));
                Files.deleteIfExists(Path.of("/etc/netns", ns));
            } catch (IOException e) {
                // best effort
            }
        }
        namespaces.clear();
    }

    @Override
    public void close() {
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // JVM already shutting down
        }
    }
}
