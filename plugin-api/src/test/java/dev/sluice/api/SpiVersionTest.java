package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpiVersionTest {
    @Test
    void isSemanticAndMatchesThePom() {
        assertTrue(SpiVersion.current().matches("\\d+\\.\\d+\\.\\d+"), SpiVersion.current());
        // The pom's property gives the bundled plugins' Plugin-Requires: the two must agree.
        assertEquals(System.getProperty("sluice.spi.version"), SpiVersion.current());
        assertEquals(1, SpiVersion.major());
    }
}
