package dev.sluice.core.plugin;

import java.net.InetSocketAddress;

/**
 * One audit line as data, for listeners (the control socket's {@code audit
 * follow}, {@code --audit-log}): what the {@code sluice.audit} logger writes,
 * field by field. Made only for lines that are written (the rate limit
 * applies: {@code suppressed} says how many were held back before this one).
 *
 * @param timeMillis wall-clock time, milliseconds since the epoch
 * @param action     "REJECT" or "DROP"
 * @param proto      "tcp", "udp", "icmp", "icmpv6", or "frame" for a frame a frame hook dropped
 * @param src        the guest's source address and port (null for frames)
 * @param dst        the destination as the guest sent it (null for frames)
 * @param mapped     the destination after the built-in mapping (null for frames)
 * @param sourceMac  frames: the source MAC; 0 for flows
 * @param plugin     the plugin's label
 * @param reason     the plugin's reason (escaped and capped as in the log line)
 * @param suppressed lines held back for this key since the previous one written
 */
public record AuditEvent(long timeMillis, String action, String proto, InetSocketAddress src, InetSocketAddress dst,
                         InetSocketAddress mapped, long sourceMac, String plugin, String reason, long suppressed) {

    /** Receives audit events on the event loop: must return at once (hand the event to another thread). */
    @FunctionalInterface
    public interface Listener {
        void onAudit(AuditEvent e);
    }
}
