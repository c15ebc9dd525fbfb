package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class NativeTest {

    @Test
    void errnoTexts() {
        assertEquals("EACCES (Permission denied)", Native.errnoText(13));
        assertEquals("errno 99999", Native.errnoText(99999));
    }

    @Test
    void failedCallReportsItsErrno() {
        IOException e = assertThrows(IOException.class, () -> Fds.close(1_000_000));
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertDoesNotThrow(() -> Fds.close(-1));
    }

    @Test
    void interfaceNames() {
        assertDoesNotThrow(() -> Native.checkIfName("veth-h.100"));
        assertDoesNotThrow(() -> Native.checkIfName("fifteen-bytes-x"));
        for (String bad : new String[] {"", "sixteen-bytes-xx", "a b", "a/b", "a:1", ".", "..", "tab\t"}) {
            assertThrows(IllegalArgumentException.class, () -> Native.checkIfName(bad), bad);
        }
    }

    @Test
    void directBufferAddresses() {
        ByteBuffer b = Native.direct(8);
        assertTrue(Native.address(b) != 0);
        assertThrows(IllegalArgumentException.class, () -> Native.address(ByteBuffer.allocate(8)));
    }
}
