package dev.sluice.it.impair;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Honest data through a bad link, for longer and harsher than CI affords:
 * the guest kernel on a tap behind {@link ImpairRelay} and Sluice in stream
 * mode (see {@link ImpairedLink}); rounds of parallel 8 MiB downloads and
 * uploads (see {@link Transfers}), IPv4 and IPv6 at once; every sha256 must
 * match and no flow may be left. Prints per round the transfers that matched,
 * per-transfer and aggregate throughput, the relay's and Sluice's TCP
 * counters. Everything comes from system properties (bench/soak-impaired.sh
 * sets them): sluice.impair.parallel (per direction and family, 50),
 * .downloads/.uploads (true), .families ("4,6"), .rounds (1), .lossPpm
 * (50000), .dupPpm (10000), .reorderPpm (200000), .reorderMicros (3000),
 * .delayMicros (0), .seed (9), .timeout (s per round, 600), .measure (false:
 * with true, unfinished transfers are reported, not failed: a throughput probe;
 * there .pcap and .ss name file prefixes for a capture of tap0 and a once-a-second
 * {@code ss -tin} in the guest).
 *
 * <p>Not an *IT, so {@code mvn verify} does not run it; ImpairedTransfersIT is
 * the CI version at milder rates.
 */
class ImpairedTransfersSoak {
    private static final int PARALLEL = Integer.getInteger("sluice.impair.parallel", 50);
    private static final boolean DOWNLOADS = Boolean.parseBoolean(System.getProperty("sluice.impair.downloads", "true"));
    private static final boolean UPLOADS = Boolean.parseBoolean(System.getProperty("sluice.impair.uploads", "true"));
    private static final String FAMILIES = System.getProperty("sluice.impair.families", "4,6");
    private static final int ROUNDS = Integer.getInteger("sluice.impair.rounds", 1);
    private static final long SEED = Long.getLong("sluice.impair.seed", 9);
    private static final int LOSS_PPM = Integer.getInteger("sluice.impair.lossPpm", 50_000);
    private static final int DUP_PPM = Integer.getInteger("sluice.impair.dupPpm", 10_000);
    private static final int REORDER_PPM = Integer.getInteger("sluice.impair.reorderPpm", 200_000);
    private static final int REORDER_US = Integer.getInteger("sluice.impair.reorderMicros", 3_000);
    private static final int DELAY_US = Integer.getInteger("sluice.impair.delayMicros", 0);
    private static final int TIMEOUT = Integer.getInteger("sluice.impair.timeout", 600);
    private static final boolean MEASURE = Boolean.getBoolean("sluice.impair.measure");

    /**
     * With sluice.impair.measure=true and sluice.impair.lossList (ppm, comma-separated):
     * per loss level a fresh link, then downloads alone and uploads alone for
     * sluice.impair.timeout seconds each, printing what moved (a throughput probe, asserts nothing).
     */
    @Test
    void throughputProbe() throws Exception {
        String list = System.getProperty("sluice.impair.lossList");
        org.junit.jupiter.api.Assumptions.assumeTrue(MEASURE && list != null, "sluice.impair.lossList not set");
        List<String> hosts = hosts();
        for (String loss : list.split(",")) {
            ImpairRelay.Impairment imp = new ImpairRelay.Impairment(Integer.parseInt(loss.trim()), DUP_PPM,
                    REORDER_PPM, DELAY_US, REORDER_US, 4096, SEED);
            try (ImpairedLink link = ImpairedLink.start(imp, new Transfers(8L << 20, SEED));
                    dev.sluice.it.Background bg = new dev.sluice.it.Background()) {
                // optional evidence: a capture of the guest's tap, the guest kernel's view of its sockets
                String pcap = System.getProperty("sluice.impair.pcap");
                if (pcap != null) {
                    bg.start(link.topo.g, "tcpdump -i tap0 -s 100 -U -w " + pcap + "-" + loss.trim() + ".pcap");
                }
                String ss = System.getProperty("sluice.impair.ss");
                if (ss != null) {
                    bg.start(link.topo.g, "sh -c 'while :; do date +%T.%N; ss -tin state established; sleep 1; done' >> "
                            + ss + "-" + loss.trim() + ".txt");
                }
                for (boolean down : new boolean[] {true, false}) {
                    long t0 = System.nanoTime();
                    List<Transfers.Transfer> all = link.transfers.run(link.topo.g, hosts, down ? PARALLEL : 0,
                            down ? 0 : PARALLEL, TIMEOUT);
                    System.out.println("probe: " + imp + " " + (down ? "down" : "up") + ": "
                            + summary(all, System.nanoTime() - t0, link.transfers.size()));
                    System.out.println("probe: " + link.relay.stats() + " | sluice " + link.tcpCounters());
                }
            }
        }
    }

    private static List<String> hosts() {
        List<String> hosts = new ArrayList<>();
        for (String f : FAMILIES.split(",")) {
            hosts.add(f.trim().equals("6") ? "fd99::1" : "10.99.0.1");
        }
        return hosts;
    }

    @Test
    void parallelTransfersEachWayBothFamiliesSurviveLossDuplicationAndReordering() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("sluice.impair.lossList") == null,
                "a throughput probe runs instead");
        ImpairRelay.Impairment imp = new ImpairRelay.Impairment(LOSS_PPM, DUP_PPM, REORDER_PPM, DELAY_US, REORDER_US,
                4096, SEED);
        List<String> hosts = hosts();
        System.out.println("impair: " + imp + ", " + PARALLEL + " per direction and family " + hosts
                + (DOWNLOADS ? " downloads" : "") + (UPLOADS ? " uploads" : ""));
        try (ImpairedLink link = ImpairedLink.start(imp, new Transfers(8L << 20, SEED))) {
            for (int round = 1; round <= ROUNDS; round++) {
                long t0 = System.nanoTime();
                List<Transfers.Transfer> all = link.transfers.run(link.topo.g, hosts, DOWNLOADS ? PARALLEL : 0,
                        UPLOADS ? PARALLEL : 0, TIMEOUT);
                long ns = System.nanoTime() - t0;
                System.out.println("impair: round " + round + ": " + summary(all, ns, link.transfers.size()));
                System.out.println("impair: " + link.relay.stats() + " | sluice " + link.tcpCounters());
                List<String> bad = new ArrayList<>();
                for (Transfers.Transfer t : all) {
                    if (!t.ok()) {
                        bad.add(t.describe(link.transfers.size()));
                    }
                }
                if (!MEASURE) {
                    assertEquals(List.of(), bad, "round " + round + ": " + bad.size() + " transfers wrong or failed");
                }
            }
            if (!MEASURE) {
                link.assertDrained(120);
            }
        }
    }

    /** "N of M sha256-identical in S s; per transfer MB/s min/median/max (down ..., up ...); aggregate MB/s". */
    static String summary(List<Transfers.Transfer> all, long ns, long size) {
        long ok = all.stream().filter(Transfers.Transfer::ok).count();
        long bytes = all.stream().mapToLong(t -> t.bytes).sum();
        StringBuilder sb = new StringBuilder();
        sb.append(ok).append(" of ").append(all.size()).append(" x ").append(size >> 20).append(" MiB sha256-identical in ")
                .append(String.format("%.1f s", ns / 1e9)).append("; ").append(bytes).append(" bytes, aggregate ")
                .append(String.format("%.2f MB/s", bytes * 1e3 / ns));
        for (boolean down : new boolean[] {true, false}) {
            double[] r = all.stream().filter(t -> t.download == down).mapToDouble(Transfers.Transfer::mbPerSecond)
                    .sorted().toArray();
            if (r.length > 0) {
                sb.append(down ? "; download" : "; upload").append(" MB/s per transfer min/median/max ")
                        .append(String.format("%.3f/%.3f/%.3f", r[0], r[r.length / 2], r[r.length - 1]));
            }
        }
        return sb.toString();
    }

}
