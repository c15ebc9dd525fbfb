package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** struct ifreq layout and name checks; TunIT opens real taps. */
class TunTest {

    @Test
    void ifreqForTunsetiff() {
        ByteBuffer ifr = Native.direct(Tun.IFREQ_SIZE);
        ifr.put(30, (byte) 0x55); // stale bytes must be cleared
        Tun.ifreq(ifr, "tap0", Tun.IFF_TAP | Tun.IFF_NO_PI);
        byte[] out = new byte[Tun.IFREQ_SIZE];
        ifr.get(0, out);
        assertEquals("74617030" + "00".repeat(12) + "0210" + "00".repeat(22), HexFormat.of().formatHex(out));
    }

    @Test
    void badNamesAreRefusedBeforeAnyNativeCall() {
        assertThrows(IllegalArgumentException.class, () -> Tun.openTap(-1, "a-name-of-16-byt"));
        assertThrows(IllegalArgumentException.class, () -> Tun.openTap(-1, "tap 0"));
        assertThrows(IllegalArgumentException.class, () -> Tun.openTap(-1, "tap/0"));
        assertThrows(IllegalArgumentException.class, () -> Tun.openTap(-1, ""));
    }
}
