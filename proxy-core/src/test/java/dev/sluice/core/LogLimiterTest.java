package dev.sluice.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogLimiterTest {
    @Test
    void oneLinePerIntervalAndTheSuppressedCount() {
        LogLimiter l = new LogLimiter(1000);
        assertTrue(l.allow(0));
        assertEquals(0, l.suppressed());
        for (int i = 1; i < 1000; i += 100) {
            assertFalse(l.allow(i));
        }
        assertTrue(l.allow(1000));
        assertEquals(10, l.suppressed());
        assertTrue(l.allow(5000));
        assertEquals(0, l.suppressed());
    }
}
