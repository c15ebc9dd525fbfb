package dev.sluice.core.flow;

import java.net.InetAddress;

/**
 * passt's built-in address translation between what the guest sees and what
 * the host's sockets use. Decided once per new flow, never per packet.
 */
public interface AddressMapper {
    /** No translation at all. */
    AddressMapper IDENTITY = new AddressMapper() {
        @Override
        public InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto) {
            return dst;
        }

        @Override
        public InetAddress guestVisibleSource(InetAddress hostPeer) {
            return hostPeer;
        }
    };

    /**
     * Where a guest flow to {@code dst:port} really goes on the host: the
     * gateway to loopback ({@code --map-host-loopback}), {@code --map-guest-addr}
     * to the host's external address, the {@code --dns-forward} address to the
     * host's resolver; otherwise {@code dst} itself.
     */
    InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto);

    /**
     * The address an inbound connection from {@code hostPeer} appears to come
     * from inside the guest: loopback becomes the mapped gateway address,
     * anything else keeps its real address.
     */
    InetAddress guestVisibleSource(InetAddress hostPeer);
}
