package dev.sluice.it.impair;

import dev.sluice.it.Background;
import dev.sluice.it.Cmd;
import dev.sluice.it.Files2;
import dev.sluice.it.SluiceProcess;
import dev.sluice.it.Topology;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Honest data through a bad link: the guest kernel on a tap behind
 * {@link ImpairRelay} (5% loss, 1% duplication, 20% of frames held back up to
 * 3 ms, both ways) and Sluice in stream mode. Parallel 8 MiB downloads from
 * the lan's web server and uploads to a hashing server there, IPv4 and IPv6
 * at once; every sha256 must match and no flow may be left afterwards.
 * Counts and impairment come from system properties (bench/soak-impaired.sh sets
 * them): sluice.impair.parallel (per direction and family, 50), sluice.impair.rounds
 * (1), sluice.impair.lossPpm (50000), sluice.impair.seed, sluice.impair.timeout (s per round).
 *
 * <p>Not an *IT, so {@code mvn verify} does not run it: at the levels
 * (5% loss) five parallel transfers per direction and family did not all finish
 * in 10 minutes on the 2-core CI machine (see bench/soak-impaired.sh).
 */
class ImpairedTransfersSoak {
    private static final int PARALLEL = Integer.getInteger("sluice.impair.parallel", 50);
    private static final int ROUNDS = Integer.getInteger("sluice.impair.rounds", 1);
    private static final long SEED = Long.getLong("sluice.impair.seed", 9);
    private static final int LOSS_PPM = Integer.getInteger("sluice.impair.lossPpm", 50_000);
    private static final int TIMEOUT = Integer.getInteger("sluice.impair.timeout", 600);
    private static final Pattern STATS = Pattern.compile("stats: flows tcp=(\\d+) udp=(\\d+) icmp=(\\d+)");

    @Test
    void parallelTransfersEachWayBothFamiliesSurviveLossDuplicationAndReordering() throws Exception {
        ImpairRelay.Impairment imp = new ImpairRelay.Impairment(LOSS_PPM, 10_000, 200_000, 0, 3_000, 4096, SEED);
        Path www = Files.createTempDirectory(SluiceProcess.workDir(), "impair-www-");
        Path big = Files2.random(www, "big", 8L << 20, SEED);
        String sha = Files2.sha256(big);
        try (Topology topo = Topology.create(); Background bg = new Background()) {
            Path socket = SluiceProcess.workDir().resolve("sluice-" + topo.suffix + ".socket");
            try (SluiceProcess sluice = SluiceProcess.start(topo.h, "-s", socket.toString(), "--stats-interval", "1")) {
                bg.start(topo.lan, "busybox httpd -f -p [::]:80 -h " + www);
                bg.start(topo.lan, "socat TCP6-LISTEN:9000,ipv6only=0,fork,reuseaddr,backlog=256 SYSTEM:sha256sum");
                try (ImpairRelay relay = ImpairRelay.start(topo.g, "tap0", 1500, socket, imp)) {
                    assertTrue(sluice.awaitLog("guest connected", 20), sluice.log());
                    topo.sh(topo.g, "ip link set tap0 mtu 1500 up && ip addr add 10.77.0.1/24 dev tap0"
                            + " && ip -6 addr add fd77::1/64 dev tap0 nodad"
                            + " && ip route add default via 10.77.0.254 && ip -6 route add default via fd77::fe");
                    long t0 = System.nanoTime();
                    for (int round = 1; round <= ROUNDS; round++) {
                        Cmd.Result r = Cmd.shIn(topo.g, TIMEOUT, transfers(big));
                        String out = r.out();
                        int good = count(out, sha);
                        assertEquals(4 * PARALLEL, good, "round " + round + ": " + (4 * PARALLEL - good)
                                + " transfers wrong or failed\n" + tail(out) + "\n" + relay.stats());
                        System.out.println("impair: round " + round + ": " + good + " x 8 MiB sha256-identical, "
                                + (System.nanoTime() - t0) / 1_000_000 + " ms so far; " + relay.stats());
                    }
                    String flows = awaitNoFlows(sluice, 90);
                    assertEquals("tcp=0 udp=0 icmp=0", flows, "flows left after the transfers\n" + tail(sluice.log()));
                }
            }
        }
    }

    /** The guest's script: every transfer in the background, each printing its sha256 (or an error). */
    private static String transfers(Path big) {
        StringBuilder sb = new StringBuilder("cd /tmp; ");
        sb.append("for i in $(seq 1 ").append(PARALLEL).append("); do");
        for (String host : new String[] {"10.99.0.1", "[fd99::1]"}) {
            sb.append(" (curl -sS -g --fail --max-time ").append(TIMEOUT - 10).append(" http://").append(host).append("/big | sha256sum) &");
            String addr = host.startsWith("[") ? "TCP6:" + host + ":9000" : "TCP4:" + host + ":9000";
            sb.append(" (socat -t 120 -T ").append(TIMEOUT - 10).append(" - ").append(addr).append(" < ").append(big).append(") &");
        }
        sb.append(" done; wait");
        return sb.toString();
    }

    private static int count(String out, String sha) {
        int n = 0;
        for (int i = out.indexOf(sha); i >= 0; i = out.indexOf(sha, i + 1)) {
            n++;
        }
        return n;
    }

    /** The flow counts of Sluice's newest stats line once all are zero, else the last ones seen. */
    private static String awaitNoFlows(SluiceProcess sluice, int seconds) throws InterruptedException {
        String last = "no stats line";
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Matcher m = STATS.matcher(sluice.log());
            while (m.find()) {
                last = "tcp=" + m.group(1) + " udp=" + m.group(2) + " icmp=" + m.group(3);
            }
            if (last.equals("tcp=0 udp=0 icmp=0")) {
                return last;
            }
            Thread.sleep(1000);
        }
        return last;
    }

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}
