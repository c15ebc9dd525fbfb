package dev.sluice.it.impair;

import dev.sluice.core.control.PromText;
import dev.sluice.it.Cmd;
import dev.sluice.it.SluiceProcess;
import dev.sluice.it.Topology;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The setup both impairment tests share: a fresh {@link Topology}, Sluice in
 * stream mode in its host namespace, an {@link ImpairRelay} with tap0 in the
 * guest namespace (10.77.0.1/24, fd77::1/64, default routes via Sluice's
 * gateway addresses) and the {@link Transfers} servers in the lan namespace.
 * Closing tears all of it down, also after a failure half-way through.
 */
final class ImpairedLink implements AutoCloseable {
    /** Sluice's {@code --stats-interval} line (the same as the end-to-end tests' FlowStats reads). */
    private static final Pattern STATS = Pattern.compile("stats: flows tcp=(\\d+) udp=(\\d+) icmp=(\\d+) "
            + "budget tcp=(\\d+)/(\\d+) udp=(\\d+)/(\\d+) icmp=(\\d+)/(\\d+)");

    final Topology topo;
    final Transfers transfers;
    SluiceProcess sluice;
    ImpairRelay relay;
    private Path control;

    private ImpairedLink(Topology topo, Transfers transfers) {
        this.topo = topo;
        this.transfers = transfers;
    }

    static ImpairedLink start(ImpairRelay.Impairment imp, Transfers transfers) throws Exception {
        ImpairedLink l = new ImpairedLink(Topology.create(), transfers);
        try {
            l.open(imp);
        } catch (Exception | Error e) {
            l.close();
            throw e;
        }
        return l;
    }

    private void open(ImpairRelay.Impairment imp) throws Exception {
        Path socket = SluiceProcess.workDir().resolve("sluice-" + topo.suffix + ".socket");
        control = SluiceProcess.workDir().resolve("sluice-" + topo.suffix + ".ctl");
        sluice = SluiceProcess.start(topo.h, "-s", socket.toString(), "--stats-interval", "1",
                "--control", control.toString());
        transfers.serve(topo.lan);
        relay = ImpairRelay.start(topo.g, "tap0", 1500, socket, imp);
        assertTrue(sluice.awaitLog("guest connected", 20), sluice.log());
        topo.sh(topo.g, "ip link set tap0 mtu 1500 up && ip addr add 10.77.0.1/24 dev tap0"
                + " && ip -6 addr add fd77::1/64 dev tap0 nodad"
                + " && ip route add default via 10.77.0.254 && ip -6 route add default via fd77::fe");
    }

    /** Sluice's TCP event counters (retransmits, fast retransmits, out-of-order, give-ups) as one line. */
    String tcpCounters() {
        List<String> argv = new ArrayList<>(List.of(SluiceProcess.home().resolve("bin/sluice").toString(),
                "metrics", "--control", control.toString()));
        Cmd.Result r;
        try {
            r = Cmd.run(30, argv);
        } catch (AssertionError e) {
            return "metrics unavailable: " + e.getMessage(); // a figure, never the test's verdict
        }
        if (r.exit() != 0) {
            return "metrics unavailable: " + r.out();
        }
        Map<String, Double> m = PromText.parse(r.out());
        StringBuilder sb = new StringBuilder();
        for (String c : new String[] {"tcp.retransmits", "tcp.fast_retransmits", "tcp.out_of_order",
                "tcp.retransmit_give_up"}) {
            Double v = m.get("sluice_events_total{counter=\"" + c + "\"}");
            sb.append(sb.length() == 0 ? "" : " ").append(c).append('=').append(v == null ? 0 : v.longValue());
        }
        return sb.toString();
    }

    /**
     * Waits up to {@code seconds} for a stats line with no live flow; every
     * line seen on the way must have budget in use = live flows, per protocol.
     */
    void assertDrained(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = null;
        while (System.nanoTime() < deadline) {
            Matcher m = STATS.matcher(sluice.log());
            while (m.find()) {
                last = m.group();
            }
            m = STATS.matcher(last == null ? "" : last);
            if (m.find()) {
                int[] v = new int[9];
                for (int i = 0; i < 9; i++) {
                    v[i] = Integer.parseInt(m.group(i + 1));
                }
                assertEquals(v[0], v[3], "tcp budget = tcp flows: " + last);
                assertEquals(v[1], v[5], "udp budget = udp flows: " + last);
                assertEquals(v[2], v[7], "icmp budget = icmp flows: " + last);
                if (v[0] == 0 && v[1] == 0 && v[2] == 0) {
                    return;
                }
            }
            Thread.sleep(1000);
        }
        fail("flows did not drain to zero within " + seconds + " s; last stats: " + last);
    }

    @Override
    public void close() throws Exception {
        try {
            transfers.close();
            if (relay != null) {
                relay.close();
            }
            if (sluice != null) {
                sluice.close();
            }
        } finally {
            topo.close();
        }
    }
}
