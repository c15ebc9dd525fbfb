package dev.sluice.it.impair;

import dev.sluice.it.Cmd;
import dev.sluice.it.Prerequisites;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Honest data through a bad link, in CI: the guest kernel on a tap behind
 * {@link ImpairRelay} and Sluice in stream mode ({@link ImpairedLink}); 50
 * downloads and 50 uploads of 8 MiB each over IPv4 and as many over IPv6, all
 * 200 at once ({@link Transfers}); every sha256 must match, and afterwards no
 * flow may be left and every protocol's budget in use must equal its live
 * flows (0).
 *
 * <p>Impairment, both ways, one seeded PRNG: 1 % loss, 1 % duplication, 20 %
 * of frames held back by up to 3 ms (reordering), 200 µs base delay. The
 * issue's soak levels (5 % loss) are for bench/soak-impaired.sh: with today's
 * TCP every loss Sluice or the guest cannot repair by fast retransmit waits out
 * a 200 ms minimum RTO (no SACK either way; reordering taken for loss), which puts a single
 * 8 MiB transfer at 5 % loss near a minute and makes the run's length depend
 * on RTO back-off chains. Measured on the 2-core machine while other builds ran:
 * at 1 % the 200 transfers took 45 s (the whole test 57 s; the slowest transfer
 * 0.19 MB/s), at 2 % 104 s with the slowest upload at 0.08 MB/s, too close to
 * the deadline once the machine is busier. So 1 %: the 240 s deadline leaves a
 * factor of five, and loss, duplicates and reordering still hit every transfer
 * many times (about 11 000 frames lost, 11 000 duplicated and 228 000 reordered
 * each way per run; the relay's and Sluice's counters are printed).
 *
 * <p>Each transfer is bounded by the run's deadline; a transfer that has not
 * finished by then fails the test with its name, family, bytes moved and how
 * long it had made no progress.
 *
 * <p>Not covered: bandwidth limits and queueing (the relay does not shape
 * rate), bursts of loss (losses are independent per frame), corruption (the
 * relay never alters a frame), MTUs other than 1500, the tap and vhost-user
 * links (only the stream link is impaired), and timing: no throughput is
 * asserted.
 */
class ImpairedTransfersIT {
    static final ImpairRelay.Impairment IMPAIRMENT = new ImpairRelay.Impairment(10_000, 10_000, 200_000, 200, 3_000,
            4096, 9);
    private static final int PARALLEL = 50;
    private static final int DEADLINE_SECONDS = 240;

    @Test
    void fiftyTransfersEachWayBothFamiliesThroughLossDuplicationReorderingAndDelay() throws Exception {
        Prerequisites.require(Files.exists(Path.of("/dev/net/tun")) && Cmd.has("ip"),
                "/dev/net/tun or iproute2 is missing (the relay opens a tap in the guest namespace)");
        try (ImpairedLink link = ImpairedLink.start(IMPAIRMENT, new Transfers(8L << 20, 9))) {
            long t0 = System.nanoTime();
            List<Transfers.Transfer> all = link.transfers.run(link.topo.g, List.of("10.99.0.1", "fd99::1"),
                    PARALLEL, PARALLEL, DEADLINE_SECONDS);
            String summary = ImpairedTransfersSoak.summary(all, System.nanoTime() - t0, link.transfers.size());
            String counters = link.relay.stats() + " | sluice " + link.tcpCounters();
            System.out.println("impair: " + summary + "\nimpair: " + counters);
            List<String> bad = new ArrayList<>();
            for (Transfers.Transfer t : all) {
                if (!t.ok()) {
                    bad.add(t.describe(link.transfers.size()));
                }
            }
            if (!bad.isEmpty()) {
                fail(bad.size() + " of " + all.size() + " transfers failed:\n  " + String.join("\n  ", bad)
                        + "\n" + summary + "\n" + counters);
            }
            link.assertDrained(90);
        }
    }
}
