package dev.sluice.core.flow.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * Test-only access to a tap device: open {@code /dev/net/tun}, attach to an
 * existing device with {@code TUNSETIFF} (IFF_TAP | IFF_NO_PI: one Ethernet
 * frame per read/write, no offloads), then blocking read and write.
 * Production code has its own under {@code dev.sluice.core.host}.
 */
final class TestTap implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;

    public interface LibC {
        int open(String path, int flags);

        int ioctl(int fd, long request, @In @Out byte[] arg);

        long read(int fd, @Out ByteBuffer buf, long count);

        long write(int fd, @In ByteBuffer buf, long count);

        int close(int fd);
    }

    private static final LibC C = LibraryLoader.create(LibC.class).load("c");

    private final int fd;
    private volatile boolean open = true;

    private TestTap(int fd) {
        this.fd = fd;
    }

    static TestTap attach(String name) throws IOException {
        int fd = C.open("/dev/net/tun", O_RDWR);
        if (fd < 0) {
            throw new IOException("open /dev/net/tun failed");
        }
        byte[] ifr = new byte[40];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifr, 0, Math.min(n.length, 15));
        short flags = IFF_TAP | IFF_NO_PI;
        ifr[16] = (byte) flags;          // little-endian short
        ifr[17] = (byte) (flags >>> 8);
        if (C.ioctl(fd, TUNSETIFF, ifr) < 0) {
            C.close(fd);
            throw new IOException("TUNSETIFF " + name + " failed");
        }
        return new TestTap(fd);
    }

    /** Blocks for one frame; returns its length, or -1 once closed. */
    int read(ByteBuffer direct) {
        long n = C.read(fd, direct, direct.capacity());
        return open ? (int) n : -1;
    }

    /** Writes one frame (the buffer's remaining bytes). */
    void write(ByteBuffer frame) {
        C.write(fd, frame, frame.remaining());
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            C.close(fd);
        }
    }
}
