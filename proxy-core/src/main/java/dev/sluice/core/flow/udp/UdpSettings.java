package dev.sluice.core.flow.udp;

import dev.sluice.core.flow.DeviceBinder;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the UDP translation.
 *
 * @param idleTimeout       a flow that got a reply and then has no traffic either way for this long is closed
 *                          (passt: 180 s)
 * @param deviceBinder      how a gate decision's interface binding is applied to a host socket
 * @param unansweredTimeout a flow that never got a reply is closed after this long without traffic: a guest
 *                          spraying datagrams at many ports holds a socket per port only this long (passt 2025-01
 *                          has one 180 s timeout for both; Linux conntrack keeps unreplied UDP 30 s)
 */
public record UdpSettings(Duration idleTimeout, DeviceBinder deviceBinder, Duration unansweredTimeout) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(180);
    public static final Duration DEFAULT_UNANSWERED_TIMEOUT = Duration.ofSeconds(10);
    public static final UdpSettings DEFAULT = new UdpSettings(DEFAULT_IDLE_TIMEOUT, DeviceBinder.HOST);

    public UdpSettings {
        Objects.requireNonNull(deviceBinder, "deviceBinder");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("UDP idle timeout must be positive: " + idleTimeout);
        }
        if (unansweredTimeout.isNegative() || unansweredTimeout.isZero()) {
            throw new IllegalArgumentException("UDP unanswered timeout must be positive: " + unansweredTimeout);
        }
    }

    /** The unanswered timeout is the default one, or the idle timeout if that is shorter. */
    public UdpSettings(Duration idleTimeout, DeviceBinder deviceBinder) {
        this(idleTimeout, deviceBinder, min(idleTimeout, DEFAULT_UNANSWERED_TIMEOUT));
    }

    public UdpSettings withIdleTimeout(Duration d) {
        return new UdpSettings(d, deviceBinder, min(d, unansweredTimeout));
    }

    public UdpSettings withUnansweredTimeout(Duration d) {
        return new UdpSettings(idleTimeout, deviceBinder, d);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
