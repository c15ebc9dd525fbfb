package dev.sluice.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the whole receive path ({@link ReceivePath}).
 * {@code mvn verify} replays the stored corpus under
 * {@code ReceivePathFuzzTestInputs/receivePath} (seeds from the kernel
 * captures, see {@link SeedCorpus}, and every finding); {@code bench/fuzz.sh}
 * fuzzes (JAZZER_FUZZ=1) with netty's leak detector at paranoid.
 *
 * <p>After every input: no exception escaped, netty logged no exception from
 * a task or handler and no leak, the flow tables and the budget are within
 * their bound and GuestState's address list is bounded. Every
 * {@value #RESET_EVERY} inputs and at the end the guest reconnects, after
 * which no flow and no budget slot may remain.
 */
class ReceivePathFuzzTest {
    static final int RESET_EVERY = 4096;
    private static final long REPORT_EVERY = Long.getLong("sluice.fuzz.reportEvery", 1_000_000L);
    private static final AtomicLong inputs = new AtomicLong();
    private static ReceivePath path;

    @BeforeAll
    static void start() throws Exception {
        NettyErrors.install();
        path = new ReceivePath();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertNull(path.resetViolation());
            System.err.println("fuzz: done, " + inputs.get() + " inputs, " + path.statsOnLoop() + ", "
                    + heapMiB() + " MiB heap after GC");
        } finally {
            path.close();
        }
        // The leak detector reports a leaked buffer when a later one is allocated after GC.
        System.gc();
        io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
        assertTrue(NettyErrors.take().isEmpty(), "netty reported an error or a leak at the end");
    }

    @FuzzTest(maxDuration = "4h")
    void receivePath(byte[] input) throws Throwable {
        long n = inputs.incrementAndGet();
        String bad = path.run(input);
        if (bad == null && n % RESET_EVERY == 0) {
            bad = path.resetViolation();
        }
        assertNull(bad);
        List<String> netty = NettyErrors.take();
        assertTrue(netty.isEmpty(), () -> "netty: " + netty);
        if (n % REPORT_EVERY == 0) {
            System.gc();
            io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
            System.err.println("fuzz: " + n + " inputs, " + path.statsOnLoop() + ", " + heapMiB()
                    + " MiB heap after GC");
        }
    }

    private static long heapMiB() {
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) >> 20;
    }
}
