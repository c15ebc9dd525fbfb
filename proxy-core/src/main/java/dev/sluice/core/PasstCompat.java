package dev.sluice.core;

import dev.sluice.core.flow.fwd.PortSpec;

import java.util.List;

/**
 * The options that make Sluice a drop-in for passt and pasta as libvirt and Podman run
 * them: what the guest is told its name is, pasta's namespace-side forwards, and how the
 * process lives (in the background once ready, quitting with its namespace).
 *
 * @param hostname     {@code --hostname}: DHCP option 12, or null
 * @param fqdn         {@code --fqdn}: DHCP option 81 / DHCPv6 option 39, or null
 * @param tcpNsForwards {@code -T/--tcp-ns}: namespace loopback TCP ports to the host's loopback
 * @param udpNsForwards {@code -U/--udp-ns}: the same for UDP
 * @param background   go to the background once ready (passt/pasta without {@code -f})
 * @param netnsQuit    tap mode: quit when the target namespace disappears (pasta's default)
 * @param onReady      run once Sluice is ready (pasta's command mode lets its command start)
 * @param until        Sluice stops when this completes (the command mode's command exited)
 * @param userns       {@code --userns}: the user namespace to enter with the network namespace when
 *                     Sluice may not enter it itself (rootless), or null for the one that owns it
 */
public record PasstCompat(String hostname, String fqdn, List<PortSpec> tcpNsForwards,
                          List<PortSpec> udpNsForwards, boolean background, boolean netnsQuit,
                          Runnable onReady, java.util.concurrent.CompletionStage<?> until, String userns) {

    public PasstCompat(String hostname, String fqdn, List<PortSpec> tcpNsForwards, List<PortSpec> udpNsForwards,
                       boolean background, boolean netnsQuit, Runnable onReady,
                       java.util.concurrent.CompletionStage<?> until) {
        this(hostname, fqdn, tcpNsForwards, udpNsForwards, background, netnsQuit, onReady, until, null);
    }

    public static final PasstCompat NONE = new PasstCompat(null, null, List.of(), List.of(), false, true,
            () -> { }, new java.util.concurrent.CompletableFuture<>());

    public PasstCompat {
        tcpNsForwards = List.copyOf(tcpNsForwards);
        udpNsForwards = List.copyOf(udpNsForwards);
    }
}
