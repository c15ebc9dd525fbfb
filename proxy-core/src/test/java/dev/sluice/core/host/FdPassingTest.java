package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.Test;

class FdPassingTest {
    public interface DupLibC {
        int dup(int fd);
    }

    private static final DupLibC DUP = LibraryLoader.create(DupLibC.class).load("c");

    static int dup(int fd) {
        return DUP.dup(fd);
    }

    @Test
    void bytesAndDescriptorsArriveTogether() throws IOException {
        int[] pair = FdPassing.socketPair();
        ByteBuffer buf = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
        long addr = Native.address(buf);
        try (EventFd e1 = EventFd.open(); EventFd e2 = EventFd.open()) {
            FdPassing.Receiver r = new FdPassing.Receiver();
            assertEquals(-1, r.recv(pair[1], addr, 64), "nothing sent yet: EAGAIN");
            assertEquals(5, FdPassing.send(pair[0], new byte[] {1, 2, 3, 4, 5}, e1.fd(), e2.fd()));
            assertEquals(5, r.recv(pair[1], addr, 64));
            byte[] got = new byte[5];
            buf.get(0, got);
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, got);
            assertEquals(2, r.fdCount());
            assertNotEquals(e1.fd(), r.fd(0));
            // The received descriptors are the same eventfds.
            try (EventFd a = EventFd.adopt(r.fd(0)); EventFd b = EventFd.adopt(r.fd(1))) {
                e1.signal();
                e2.signal();
                e2.signal();
                assertEquals(1, a.drain());
                assertEquals(2, b.drain());
            }
            FdPassing.send(pair[0], new byte[] {9});
            assertEquals(1, r.recv(pair[1], addr, 64));
            assertEquals(0, r.fdCount());
            assertEquals(9, PlatformDependent.getByte(addr));
            Fds.close(pair[0]);
            assertEquals(0, r.recv(pair[1], addr, 64), "end of stream");
        } finally {
            Fds.close(pair[1]);
        }
    }
}
