package dev.sluice.core.l2;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.sluice.core.testing.TestContexts.v4;
import static dev.sluice.core.testing.TestContexts.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddrsTest {
    @Test
    void conversions() {
        assertEquals(0x0a4d00fe, Addrs.v4(v4("10.77.0.254")));
        assertEquals(0, Addrs.v4(null));
        assertEquals(0xfd77_0000_0000_0000L, Addrs.hi(v6("fd77::fe")));
        assertEquals(0xfeL, Addrs.lo(v6("fd77::fe")));
        // the kernel's link-local for 52:54:00:12:34:56 (see the captures)
        assertEquals(0x5054_00ff_fe12_3456L, Addrs.eui64(0x525400123456L));
        assertEquals(0x9855_9aff_fe55_9a55L, Addrs.eui64(0x9a559a559a55L));
        assertTrue(Addrs.isMulticast(0xff02_0000_0000_0000L));
        assertFalse(Addrs.isMulticast(0xfe80_0000_0000_0000L));
    }

    @Test
    void masks() {
        assertEquals(0xffffff00, Addrs.mask4(24));
        assertEquals(0, Addrs.mask4(0));
        assertEquals(-1, Addrs.mask4(32));
        assertEquals(-1L, Addrs.maskHi(64));
        assertEquals(0L, Addrs.maskLo(64));
        assertEquals(0xffff_ffff_ffff_0000L, Addrs.maskHi(48));
        assertEquals(0xffff_ffff_ffff_ff00L, Addrs.maskLo(120));
        assertEquals(-1L, Addrs.maskLo(128));
    }

    @Test
    void invalidSearchDomainsAreLeftOut() {
        assertEquals(List.of("ok.test", "root.test"),
                Addrs.validDomains(List.of("bad..name", "ok.test", "x".repeat(64) + ".test", ".", "root.test.")));
    }
}
