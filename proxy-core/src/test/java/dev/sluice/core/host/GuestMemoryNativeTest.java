package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class GuestMemoryNativeTest {
    @Test
    void twoMappingsOfOneMemfdShareBytesAtTheirOffsets() throws IOException {
        int fd = GuestMemoryNative.memfd("sluice-test", 3 * 4096);
        try {
            GuestMemoryNative.Mapping whole = GuestMemoryNative.map(fd, 0, 3 * 4096);
            GuestMemoryNative.Mapping tail = GuestMemoryNative.map(fd, 4096, 2 * 4096);
            assertEquals(2 * 4096, tail.length());
            PlatformDependent.putLong(whole.address() + 4096 + 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, PlatformDependent.getLong(tail.address() + 8));
            PlatformDependent.putByte(tail.address() + 8191, (byte) 7);
            assertEquals(7, PlatformDependent.getByte(whole.address() + 3 * 4096 - 1));
            GuestMemoryNative.unmap(tail);
            GuestMemoryNative.unmap(whole);
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void aRegionLargerThanTwoGibMaps() throws IOException {
        long size = 3L << 30; // sparse memfd: no memory is touched but the pages written
        int fd = GuestMemoryNative.memfd("sluice-big", size);
        try {
            GuestMemoryNative.Mapping m = GuestMemoryNative.map(fd, 0, size);
            PlatformDependent.putInt(m.address() + size - 4, 42);
            assertEquals(42, PlatformDependent.getInt(m.address() + size - 4));
            GuestMemoryNative.unmap(m);
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void aBadFdFailsWithErrno() {
        IOException e = assertThrows(IOException.class, () -> GuestMemoryNative.map(987654, 0, 4096));
        assertEquals(true, e.getMessage().contains("EBADF"), e.getMessage());
    }
}
