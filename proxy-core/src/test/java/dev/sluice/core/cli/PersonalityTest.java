package dev.sluice.core.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PersonalityTest {
    @Test
    void nameChoosesThePersonality() {
        assertEquals(Personality.SLUICE, Personality.of(null));
        assertEquals(Personality.SLUICE, Personality.of("sluice"));
        assertEquals(Personality.PASST, Personality.of("passt"));
        assertEquals(Personality.PASTA, Personality.of("/usr/local/bin/pasta"));
        assertEquals(Personality.PASTA, Personality.of("pasta.avx2"));
        assertEquals(Personality.SLUICE, Personality.of("java"));
    }

    @Test
    void onlyPasstAndPastaGoToTheBackground() {
        assertFalse(Personality.SLUICE.backgroundByDefault());
        assertTrue(Personality.PASST.backgroundByDefault());
        assertTrue(Personality.PASTA.backgroundByDefault());
    }

    @Test
    void unsupportedPasstOptionsAreRecognisedInEveryForm() {
        assertEquals("--log-size", PasstOptions.unsupported("--log-size"));
        assertEquals("--log-size", PasstOptions.unsupported("--log-size=1048576"));
        assertEquals("-F", PasstOptions.unsupported("-F3"));
        assertEquals("--netns-only", PasstOptions.unsupported("--netns-only"));
        assertNull(PasstOptions.unsupported("--userns")); // implemented: rootless pasta
        assertNull(PasstOptions.unsupported("--no-such-thing"));
        assertNull(PasstOptions.unsupported("none"));
    }
}
