package dev.sluice.core.flow.udp;

import dev.sluice.core.flow.DeviceBinder;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the UDP translation.
 *
 * @param idleTimeout  a flow without traffic either way for this long is closed (passt: 180 s)
 * @param deviceBinder how a gate decision's interface binding is applied to a host socket
 */
public record UdpSettings(Duration idleTimeout, DeviceBinder deviceBinder) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(180);
    public static final UdpSettings DEFAULT = new UdpSettings(DEFAULT_IDLE_TIMEOUT, DeviceBinder.HOST);

    public UdpSettings {
        Objects.requireNonNull(deviceBinder, "deviceBinder");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("UDP idle timeout must be positive: " + idleTimeout);
        }
    }

    public UdpSettings withIdleTimeout(Duration d) {
        return new UdpSettings(d, deviceBinder);
    }
}
