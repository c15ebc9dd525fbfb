package dev.sluice.core.flow;

import java.io.IOException;

/**
 * Binds a socket to a network interface (SO_BINDTODEVICE) before it connects
 * or listens: how a gate decision's {@code bindInterface} and an
 * {@code ADDR%IFACE} forwarding spec take effect.
 */
@FunctionalInterface
public interface DeviceBinder {
    /** @throws IOException naming the interface when the kernel refuses (unknown interface, no privilege) */
    void bind(int fd, String ifName) throws IOException;

    /** SO_BINDTODEVICE through {@link dev.sluice.core.host.SocketOptions}, where Sluice's native socket options live. */
    DeviceBinder HOST = dev.sluice.core.host.SocketOptions::bindToDevice;

    /** Refuses every interface binding (for setups that must not bind). */
    DeviceBinder UNSUPPORTED = (fd, ifName) -> {
        throw new IOException("binding to interface " + ifName + " is not supported here");
    };
}
