package dev.sluice.core.control;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.flow.FlowInfo;
import dev.sluice.core.plugin.FilterChain;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A fixed instance and snapshot for rendering tests. */
final class Fixtures {
    static final long START = 1_764_762_000_000L; // 2025-12-03T11:40:00Z

    private Fixtures() {
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress sa(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    static GuestConfig guest() {
        return new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, 0, GuestConfig.DEFAULT_MTU,
                true, (Inet4Address) ip("10.77.0.50"), 24, (Inet4Address) ip("10.77.0.254"), List.of(),
                true, (Inet6Address) ip("fd77::50"), 64, (Inet6Address) ip("fd77::fe"), (Inet6Address) ip("fe80::1"),
                List.of(), List.of(), true, true, true, true);
    }

    static Snapshot.Facts facts(Path control) {
        return new Snapshot.Facts("1.2.3", 4242, START, "tap tap0 in namespace g", guest(), control);
    }

    static FlowInfo tcpFlow(long fromGuest, long toGuest) {
        return new FlowInfo("tcp", false, sa("10.77.0.50", 40312), sa("10.99.0.1", 8080), sa("10.99.0.1", 8080),
                sa("10.77.0.1", 51000), sa("10.99.0.1", 8080), "ESTABLISHED", fromGuest, toGuest, 3200, null, "accept");
    }

    static Snapshot snapshot(List<FlowInfo> flows) {
        Map<String, Long> counters = new TreeMap<>(Map.of("eth.not_for_us", 3L, "tcp.opened", 7L,
                "plugin.no-map-host.rejected", 2L, "dhcp.ack", 1L, "ndp.ra_sent", 4L));
        return new Snapshot(START + 83_000, true, 0x0200_0000_0050L, List.of(ip("10.77.0.50")), counters,
                1, 0, 0, 1, 131072,
                List.of(new FilterChain.StageStats("no-map-host", 0, 2, 0, 0, -1),
                        new FilterChain.StageStats("guest-addr", 5, 0, 0, 0, 1)),
                12, 0, flows, false);
    }
}
