package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SockAddrTest {
    private final ByteBuffer b = Native.direct(64);

    private String hex(int off, int len) {
        byte[] out = new byte[len];
        b.get(off, out);
        return HexFormat.of().formatHex(out);
    }

    @Test
    void ipv4() throws Exception {
        byte[] a = InetAddress.getByName("10.77.0.254").getAddress();
        assertEquals(16, SockAddr.write(b, 4, a, 0, 0x1234));
        assertEquals("0200" + "1234" + "0a4d00fe" + "0000000000000000", hex(4, 16));
        byte[] out = new byte[16];
        assertEquals(4, SockAddr.readAddress(b, 4, 16, out));
        assertArrayEquals(a, java.util.Arrays.copyOf(out, 4));
        assertEquals(0x1234, SockAddr.port(b, 4));

        b.put(4, new byte[16]);
        assertEquals(16, SockAddr.writeV4(b, 4, 0x0a4d00fe, 0x1234));
        assertEquals("0200" + "1234" + "0a4d00fe" + "0000000000000000", hex(4, 16));
    }

    @Test
    void ipv6WithScope() throws Exception {
        byte[] a = InetAddress.getByName("fe80::1").getAddress();
        assertEquals(28, SockAddr.write(b, 0, a, 7, 0));
        assertEquals("0a00" + "0000" + "00000000" + "fe800000000000000000000000000001" + "07000000", hex(0, 28));
        assertEquals(7, SockAddr.scopeId(b, 0));
        byte[] out = new byte[16];
        assertEquals(16, SockAddr.readAddress(b, 0, 28, out));
        assertArrayEquals(a, out);
    }

    @Test
    void refusesWhatDoesNotFit() {
        SockAddr.write(b, 0, new byte[16], 0, 0);
        assertEquals(-1, SockAddr.readAddress(b, 0, 27, new byte[16]), "short sockaddr");
        assertEquals(-1, SockAddr.readAddress(b, 0, 28, new byte[4]), "short output");
        b.putShort(0, (short) 1); // AF_UNIX
        assertEquals(-1, SockAddr.readAddress(b, 0, 28, new byte[16]));
        assertThrows(IllegalArgumentException.class, () -> SockAddr.write(b, 0, new byte[5], 0, 0));
    }
}
