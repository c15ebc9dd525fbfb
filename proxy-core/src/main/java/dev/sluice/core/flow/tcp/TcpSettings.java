package dev.sluice.core.flow.tcp;

import java.time.Duration;

/**
 * Tunables of the TCP translation. The defaults follow passt where it has an
 * equivalent (10 s to connect, two hours of inactivity, 60 s for the last ACK
 * after both FINs) and RFC 6298 for retransmission.
 *
 * @param connectTimeout    how long a host {@code connect()} may take before the guest gets RST+ACK
 * @param synRetries        retransmissions of our SYN (inbound) or SYN-ACK (outbound) before giving up
 * @param idleTimeout       a flow with no traffic either way for this long is reset on both sides
 * @param finTimeout        once both sides sent FIN, how long to wait for the last ACK before freeing the flow
 * @param initialRto        retransmission timeout before any RTT sample (RFC 6298: 1 s)
 * @param minRto            lower bound of the retransmission timeout (Linux uses 200 ms)
 * @param maxRto            upper bound of the retransmission timeout, back-off included
 * @param maxRetransmits    consecutive timeouts of the same data before both sides are reset
 * @param hostWriteQueue    guest bytes Sluice holds for the host socket beyond what its kernel buffer took:
 *                          the receive window offered to the guest
 * @param windowSegments    the offered window is also capped at this many full-sized guest segments, so one
 *                          window-sized burst from the guest fits the link's queue (a tap's is 1000 frames):
 *                          at MTU 1500 a 2 MiB window would be 1400 frames and overflow it
 * @param minHostReadBuffer host bytes held for the guest (sent but unacknowledged, or waiting for window)
 *                          before reading pauses, when the guest's window is smaller than this
 * @param maxHostReadBuffer cap of the same buffer however large the guest's window is
 * @param verifyChecksums   drop guest segments with a bad TCP checksum (counted)
 * @param dropHold          how long a SYN the gate dropped is remembered, so the guest's retransmitted
 *                          SYNs are dropped silently instead of being decided again
 */
public record TcpSettings(
        Duration connectTimeout,
        int synRetries,
        Duration idleTimeout,
        Duration finTimeout,
        Duration initialRto,
        Duration minRto,
        Duration maxRto,
        int maxRetransmits,
        int hostWriteQueue,
        int windowSegments,
        int minHostReadBuffer,
        int maxHostReadBuffer,
        boolean verifyChecksums,
        Duration dropHold) {

    public TcpSettings {
        if (hostWriteQueue < 1024 || minHostReadBuffer < 1024 || maxHostReadBuffer < minHostReadBuffer) {
            throw new IllegalArgumentException("TCP buffer sizes too small or inconsistent");
        }
        if (windowSegments < 4) {
            throw new IllegalArgumentException("windowSegments below 4");
        }
        if (synRetries < 0 || maxRetransmits < 1) {
            throw new IllegalArgumentException("retry counts out of range");
        }
        if (minRto.isNegative() || minRto.isZero() || maxRto.compareTo(minRto) < 0
                || initialRto.compareTo(minRto) < 0) {
            throw new IllegalArgumentException("RTO bounds inconsistent");
        }
    }

    public static TcpSettings defaults() {
        return new TcpSettings(
                Duration.ofSeconds(10),
                4,
                Duration.ofHours(2),
                Duration.ofSeconds(60),
                Duration.ofSeconds(1),
                Duration.ofMillis(200),
                Duration.ofSeconds(60),
                10,
                2 << 20,
                512,
                64 << 10,
                16 << 20,
                true,
                Duration.ofSeconds(60));
    }

    public TcpSettings withHostWriteQueue(int bytes) {
        return new TcpSettings(connectTimeout, synRetries, idleTimeout, finTimeout, initialRto, minRto, maxRto,
                maxRetransmits, bytes, windowSegments, minHostReadBuffer, maxHostReadBuffer, verifyChecksums, dropHold);
    }

    public TcpSettings withTimeouts(Duration connect, int synRetries, Duration idle, Duration fin) {
        return new TcpSettings(connect, synRetries, idle, fin, initialRto, minRto, maxRto,
                maxRetransmits, hostWriteQueue, windowSegments, minHostReadBuffer, maxHostReadBuffer, verifyChecksums, dropHold);
    }

    public TcpSettings withRto(Duration initial, Duration min, Duration max, int maxRetransmits) {
        return new TcpSettings(connectTimeout, synRetries, idleTimeout, finTimeout, initial, min, max,
                maxRetransmits, hostWriteQueue, windowSegments, minHostReadBuffer, maxHostReadBuffer, verifyChecksums, dropHold);
    }

    public TcpSettings withWindowSegments(int segments) {
        return new TcpSettings(connectTimeout, synRetries, idleTimeout, finTimeout, initialRto, minRto, maxRto,
                maxRetransmits, hostWriteQueue, segments, minHostReadBuffer, maxHostReadBuffer, verifyChecksums, dropHold);
    }

    public TcpSettings withHostReadBuffer(int min, int max) {
        return new TcpSettings(connectTimeout, synRetries, idleTimeout, finTimeout, initialRto, minRto, maxRto,
                maxRetransmits, hostWriteQueue, windowSegments, min, max, verifyChecksums, dropHold);
    }
}
