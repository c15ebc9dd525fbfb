package dev.sluice.core.flow.tcp;

import java.io.IOException;

/**
 * Binds a host socket to an interface ({@code SO_BINDTODEVICE}) before it
 * connects, as a gate decision asks. A seam so the TCP layer needs no native
 * code: the runtime passes {@code dev.sluice.core.host.SocketOptions::bindToDevice}.
 */
@FunctionalInterface
public interface DeviceBinder {
    /** Refuses every binding: a decision that asks for one then fails closed (the guest gets RST+ACK). */
    DeviceBinder UNSUPPORTED = (fd, ifname) -> {
        throw new IOException("SO_BINDTODEVICE is not wired in (no DeviceBinder given)");
    };

    void bind(int fd, String ifname) throws IOException;
}
