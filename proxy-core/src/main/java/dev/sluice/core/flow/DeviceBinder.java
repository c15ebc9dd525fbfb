package dev.sluice.core.flow;

import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Binds a socket to a network interface (SO_BINDTODEVICE) before it connects
 * or listens: how a gate decision's {@code bindInterface} and an
 * {@code ADDR%IFACE} forwarding spec take effect.
 */
@FunctionalInterface
public interface DeviceBinder {
    /** @throws IOException naming the interface when the kernel refuses (unknown interface, no privilege) */
    void bind(int fd, String ifName) throws IOException;

    /**
     * SO_BINDTODEVICE through netty's own {@code setsockopt} wrapper: works
     * without any further native code.
     * TODO(lead): swap for {@code dev.sluice.core.host.SocketOptions::bindToDevice}
     * once merged, so all native socket options live in one place.
     */
    DeviceBinder NETTY = (fd, ifName) -> {
        final int solSocket = 1;
        final int soBindToDevice = 25;
        byte[] name = ifName.getBytes(StandardCharsets.US_ASCII);
        if (name.length == 0 || name.length >= 16) {
            throw new IOException("bad interface name '" + ifName + "'");
        }
        ByteBuffer b = ByteBuffer.allocateDirect(name.length + 1);
        b.put(name).put((byte) 0).flip();
        try {
            // Socket only wraps the number: it neither owns nor closes the fd.
            new Socket(fd).setRawOpt(solSocket, soBindToDevice, b);
        } catch (IOException e) {
            throw new IOException("cannot bind to interface " + ifName + ": " + e.getMessage(), e);
        }
    };

    /** Refuses every interface binding (for setups that must not bind). */
    DeviceBinder UNSUPPORTED = (fd, ifName) -> {
        throw new IOException("binding to interface " + ifName + " is not supported here");
    };
}
