package dev.sluice.core.flow.fwd;

import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/**
 * Takes a TCP connection accepted on a forwarded host port and opens the
 * flow towards the guest (the TCP translation implements it: {@code TcpFlows.acceptInbound}).
 * Called on the event loop. The channel arrives registered on that loop with
 * auto-read off: read from it once the guest has accepted the connection.
 */
@FunctionalInterface
public interface AcceptHandler {
    /**
     * @param ch              the accepted host connection
     * @param guestDst        where the flow goes inside the guest: the guest's address and the mapped port
     * @param guestVisibleSrc where it appears to come from inside the guest: the peer's guest-visible address
     *                        ({@code AddressMapper.guestVisibleSource}) and real port
     */
    void accept(SocketChannel ch, InetSocketAddress guestDst, InetSocketAddress guestVisibleSrc);
}
