package dev.sluice.core.flow;

import java.net.InetSocketAddress;

/**
 * One live flow as the control socket shows it: an immutable copy made on the
 * event loop (by the protocol's {@code snapshot}), read on any thread.
 *
 * @param proto         "tcp", "udp", "icmp" or "icmpv6"
 * @param inbound       opened from the host side (a {@code -t}/{@code -u} forward)
 * @param guest         the guest's address and port (ICMP: the echo id as port)
 * @param remote        the other end as the guest sees it (destination as sent, or the forward's apparent source)
 * @param mapped        where the host socket goes after the built-in mapping, or null (inbound, refused)
 * @param hostLocal     the host socket's local address, or null (none, or not bound yet)
 * @param hostRemote    the host socket's peer, or null
 * @param state         protocol state, e.g. ESTABLISHED, OPEN, DROPPED
 * @param bytesFromGuest payload bytes the guest sent that were handed to the host socket
 * @param bytesToGuest  payload bytes read from the host socket for the guest
 * @param ageMillis     time since the flow was created
 * @param plugin        the plugin label that decided the flow, or null (no plugin decided: no chain, or undecided)
 * @param verdict       "accept", "reject" or "drop" (inbound flows: "inbound")
 */
public record FlowInfo(String proto, boolean inbound, InetSocketAddress guest, InetSocketAddress remote,
                       InetSocketAddress mapped, InetSocketAddress hostLocal, InetSocketAddress hostRemote,
                       String state, long bytesFromGuest, long bytesToGuest, long ageMillis, String plugin,
                       String verdict) {

    /** The verdict word of a gate decision (null: inbound). */
    public static String verdict(GateDecision d) {
        if (d == null) {
            return "inbound";
        }
        return switch (d.action()) {
            case ACCEPT -> "accept";
            case REJECT -> "reject";
            case DROP -> "drop";
        };
    }

    /** An {@code InetSocketAddress} of a channel's address, or null when it is none. */
    public static InetSocketAddress inet(java.net.SocketAddress a) {
        return a instanceof InetSocketAddress i ? i : null;
    }
}
