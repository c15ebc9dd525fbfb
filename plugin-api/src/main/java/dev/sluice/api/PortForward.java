package dev.sluice.api;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An inbound forward of this Sluice instance ({@code -t} or {@code -u}):
 * host ports {@code firstPort..lastPort} on {@code address} lead into the guest.
 *
 * @param protocol  {@link Protocol#TCP} or {@link Protocol#UDP}
 * @param address   the host address the forward listens on, or null for all addresses
 * @param firstPort first host port of the range
 * @param lastPort  last host port of the range (equal to {@code firstPort} for one port)
 */
public record PortForward(Protocol protocol, InetAddress address, int firstPort, int lastPort) {
    public PortForward {
        Objects.requireNonNull(protocol, "protocol");
        if (protocol != Protocol.TCP && protocol != Protocol.UDP) {
            throw new IllegalArgumentException("forwards are TCP or UDP, not " + protocol);
        }
        if (firstPort < 1 || lastPort > 65535 || firstPort > lastPort) {
            throw new IllegalArgumentException("bad port range " + firstPort + "-" + lastPort);
        }
    }

    /** One port. */
    public PortForward(Protocol protocol, InetAddress address, int port) {
        this(protocol, address, port, port);
    }

    /** Whether a host socket for {@code protocol} on {@code address:port} would be this forward's listener. */
    public boolean covers(Protocol protocol, InetAddress address, int port) {
        return this.protocol == protocol && port >= firstPort && port <= lastPort
                && (this.address == null || this.address.equals(address));
    }
}
