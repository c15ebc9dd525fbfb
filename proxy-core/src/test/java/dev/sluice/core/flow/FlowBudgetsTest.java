package dev.sluice.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FlowBudgetsTest {

    @Test
    void theTotalIsSplitIntoSeparateCaps() {
        FlowBudgets b = FlowBudgets.of(1000, FlowRates.NONE);
        assertEquals(500, b.tcp().max());
        assertEquals(400, b.udp().max());
        assertEquals(100, b.icmp().max());
        for (int i = 0; i < 400; i++) {
            assertTrue(b.udp().tryAcquire());
        }
        assertFalse(b.udp().tryAcquire(), "UDP is full");
        assertTrue(b.tcp().tryAcquire(), "and TCP is not touched");
        assertTrue(b.icmp().tryAcquire());
        assertEquals("tcp=1/500 udp=400/400 icmp=1/100", b.usage());
    }

    @Test
    void neverMoreFlowsThanDescriptors() {
        FlowBudgets b = FlowBudgets.derive(131072, 20000, 100, 10, FlowRates.NONE);
        assertEquals(20000 - 100 - 10 - FlowBudgets.FD_HEADROOM, b.total());
        assertTrue(b.fdBound());
        assertTrue(b.tcp().max() + b.udp().max() + b.icmp().max() <= 20000 - 100 - 10);
        FlowBudgets small = FlowBudgets.derive(1000, 1 << 20, 100, 0, FlowRates.NONE);
        assertEquals(1000, small.total(), "--max-flows below the descriptors: it rules");
        assertFalse(small.fdBound());
        assertEquals(1000, FlowBudgets.derive(1000, -1, 100, 0, FlowRates.NONE).total(), "unlimited");
        assertEquals(FlowBudgets.MIN_TOTAL, FlowBudgets.derive(1000, 300, 100, 0, FlowRates.NONE).total());
    }

    @Test
    void theRateIsATokenBucketOneSecondDeep() {
        FlowBudget b = new FlowBudget(100, 10);
        long t = 5_000_000_000L;
        int admitted = 0;
        for (int i = 0; i < 50; i++) {
            if (b.admitNew(t)) {
                admitted++;
            }
        }
        assertEquals(10, admitted, "the burst: one second's worth");
        assertFalse(b.admitNew(t + 50_000_000L), "a twentieth of a second refills half a flow");
        assertTrue(b.admitNew(t + 100_000_000L), "a tenth refills one");
        assertFalse(b.admitNew(t + 100_000_000L));
        admitted = 0;
        for (int i = 0; i < 50; i++) {
            if (b.admitNew(t + 60_000_000_000L)) {
                admitted++;
            }
        }
        assertEquals(10, admitted, "a long pause refills no more than the burst");
        assertTrue(new FlowBudget(1).admitNew(0), "rate 0: no limit");
    }

    @Test
    void ratesParse() {
        assertEquals(new FlowRates(100, 200, 0), FlowRates.parse("tcp=100,udp=200"));
        assertEquals(new FlowRates(0, 0, 5), FlowRates.parse(" icmp = 5 "));
        for (String bad : new String[] {"", "tcp", "tcp=x", "tcp=-1", "sctp=3"}) {
            assertThrows(IllegalArgumentException.class, () -> FlowRates.parse(bad), bad);
        }
    }
}
