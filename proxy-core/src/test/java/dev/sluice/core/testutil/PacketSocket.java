package dev.sluice.core.testutil;

import java.io.IOException;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * A raw AF_PACKET socket on one interface, for tests that play the guest
 * link's far end against a real kernel: frames the interface sends can be
 * received, frames built by Sluice can be injected. Non-blocking; create it on
 * a thread inside the interface's namespace.
 */
public final class PacketSocket implements AutoCloseable {
    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int ETH_P_ALL_BE = 0x0300; // htons(0x0003) on little-endian hosts
    private static final int EAGAIN = 11;

    /** The libc calls used. */
    public interface LibC {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int bind(int fd, Pointer addr, int len);

        @SaveError
        long send(int fd, @In byte[] buf, long len, int flags);

        @SaveError
        long recv(int fd, @Out byte[] buf, long len, int flags);

        int close(int fd);

        int if_nametoindex(String name);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private final int fd;

    private PacketSocket(int fd) {
        this.fd = fd;
    }

    public static PacketSocket open(String ifName) throws IOException {
        LibC c = Holder.LIBC;
        int ifindex = c.if_nametoindex(ifName);
        if (ifindex == 0) {
            throw new IOException("no interface " + ifName);
        }
        int fd = c.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, ETH_P_ALL_BE);
        if (fd < 0) {
            throw new IOException("AF_PACKET socket: errno " + Holder.RUNTIME.getLastError());
        }
        Pointer sll = Memory.allocateDirect(Holder.RUNTIME, 20, true);
        sll.putShort(0, (short) AF_PACKET);
        sll.putByte(2, (byte) 0x00);
        sll.putByte(3, (byte) 0x03);
        sll.putInt(4, ifindex);
        if (c.bind(fd, sll, 20) < 0) {
            int e = Holder.RUNTIME.getLastError();
            c.close(fd);
            throw new IOException("bind AF_PACKET to " + ifName + ": errno " + e);
        }
        return new PacketSocket(fd);
    }

    /** Injects one whole Ethernet frame. */
    public void send(byte[] frame) throws IOException {
        if (Holder.LIBC.send(fd, frame, frame.length, 0) != frame.length) {
            throw new IOException("send: errno " + Holder.RUNTIME.getLastError());
        }
    }

    /** The next frame seen on the interface, or null when none is pending. */
    public byte[] poll() throws IOException {
        byte[] buf = new byte[65536];
        long n = Holder.LIBC.recv(fd, buf, buf.length, 0);
        if (n < 0) {
            if (Holder.RUNTIME.getLastError() == EAGAIN) {
                return null;
            }
            throw new IOException("recv: errno " + Holder.RUNTIME.getLastError());
        }
        return Arrays.copyOf(buf, (int) n);
    }

    @Override
    public void close() {
        Holder.LIBC.close(fd);
    }
}
