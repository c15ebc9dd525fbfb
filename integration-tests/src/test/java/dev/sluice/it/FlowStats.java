package dev.sluice.it;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sluice's {@code --stats-interval} line, {@code stats: flows tcp=N udp=N icmp=N
 * budget tcp=U/M udp=U/M icmp=U/M}: live flows and the budget slots in use.
 */
final class FlowStats {
    static final Pattern STATS = Pattern.compile("stats: flows tcp=(\\d+) udp=(\\d+) icmp=(\\d+) "
            + "budget tcp=(\\d+)/(\\d+) udp=(\\d+)/(\\d+) icmp=(\\d+)/(\\d+)");

    private FlowStats() {
    }

    /** The last stats line in the log (from "stats:"), or null. */
    static String last(SluiceProcess sluice) {
        String last = null;
        for (String l : sluice.log().split("\n")) {
            if (STATS.matcher(l).find()) {
                last = l.substring(l.indexOf("stats:"));
            }
        }
        return last;
    }

    /**
     * Waits up to {@code seconds} for a stats line with no live flow; every
     * line seen must have budget in use = live flows, per protocol (a leaked
     * slot shows as a difference).
     */
    static void assertDrained(SluiceProcess sluice, String what, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = null;
        while (System.nanoTime() < deadline) {
            last = last(sluice);
            Matcher m = STATS.matcher(last == null ? "" : last);
            if (m.find()) {
                int[] v = new int[9];
                for (int i = 0; i < 9; i++) {
                    v[i] = Integer.parseInt(m.group(i + 1));
                }
                assertEquals(v[0], v[3], what + ": tcp budget = tcp flows: " + last);
                assertEquals(v[1], v[5], what + ": udp budget = udp flows: " + last);
                assertEquals(v[2], v[7], what + ": icmp budget = icmp flows: " + last);
                if (v[0] == 0 && v[1] == 0 && v[2] == 0) {
                    return;
                }
            }
            Thread.sleep(1000);
        }
        fail(what + ": flows did not drain to zero; last stats: " + last);
    }
}
