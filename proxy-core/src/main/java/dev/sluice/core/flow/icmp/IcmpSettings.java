package dev.sluice.core.flow.icmp;

import dev.sluice.core.flow.DeviceBinder;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the ICMP echo translation.
 *
 * @param idleTimeout  an echo flow without traffic for this long is closed (passt: 60 s)
 * @param sockets      how ping sockets are opened and used
 * @param deviceBinder how a gate decision's interface binding is applied to a ping socket
 */
public record IcmpSettings(Duration idleTimeout, PingSockets sockets, DeviceBinder deviceBinder) {
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final IcmpSettings DEFAULT =
            new IcmpSettings(DEFAULT_IDLE_TIMEOUT, HostPingSockets.INSTANCE, DeviceBinder.HOST);

    public IcmpSettings {
        Objects.requireNonNull(sockets, "sockets");
        Objects.requireNonNull(deviceBinder, "deviceBinder");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("ICMP idle timeout must be positive: " + idleTimeout);
        }
    }

    public IcmpSettings withIdleTimeout(Duration d) {
        return new IcmpSettings(d, sockets, deviceBinder);
    }
}
