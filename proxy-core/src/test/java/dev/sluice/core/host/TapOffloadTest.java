package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The ioctl numbers and the failure path; TapOffloadIT sets them on a real tap. */
class TapOffloadTest {

    @Test
    void ioctlNumbersAreLinuxs() {
        // _IOW/_IOR('T', nr, int): dir << 30 | size 4 << 16 | 'T' << 8 | nr
        assertEquals((1L << 30) | (4 << 16) | ('T' << 8) | 208, TapOffload.TUNSETOFFLOAD);
        assertEquals((2L << 30) | (4 << 16) | ('T' << 8) | 215, TapOffload.TUNGETVNETHDRSZ);
        assertEquals((1L << 30) | (4 << 16) | ('T' << 8) | 216, TapOffload.TUNSETVNETHDRSZ);
        assertEquals(0x07, TapOffload.SLUICE_OFFLOADS);
        assertEquals(0x4000, Tun.IFF_VNET_HDR);
    }

    @Test
    void aNonTapFdFailsNamingTheIoctl() throws IOException {
        ByteBuffer path = Native.cString("/dev/null");
        int fd = Native.LIBC.open(Native.address(path), Native.O_RDWR | Native.O_CLOEXEC, 0);
        Reference.reachabilityFence(path);
        assertTrue(fd >= 0);
        try {
            IOException e = assertThrows(IOException.class, () -> TapOffload.setHeaderSize(fd, TapOffload.HDR_LEN));
            assertTrue(e.getMessage().startsWith("TUNSETVNETHDRSZ 10: "), e.getMessage());
            e = assertThrows(IOException.class, () -> TapOffload.setOffloads(fd, TapOffload.SLUICE_OFFLOADS));
            assertTrue(e.getMessage().startsWith("TUNSETOFFLOAD 0x7: "), e.getMessage());
        } finally {
            Fds.close(fd);
        }
    }
}
