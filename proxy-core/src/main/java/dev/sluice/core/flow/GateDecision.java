package dev.sluice.core.flow;

import java.net.InetAddress;

/**
 * The gate's answer for one new flow, kept with the flow for its lifetime.
 *
 * @param action         open it, refuse it (TCP RST / ICMP unreachable), or stay silent
 * @param bindInterface  interface to bind the host socket to (SO_BINDTODEVICE), or null
 * @param bindSource     source address to bind the host socket to, or null
 * @param plugin         the plugin that decided (for audit and the flows listing), or null when none did
 * @param reason         why it was rejected or dropped, or null
 */
public record GateDecision(Action action, String bindInterface, InetAddress bindSource, String plugin, String reason) {
    public enum Action { ACCEPT, REJECT, DROP }

    public static final GateDecision ACCEPT = new GateDecision(Action.ACCEPT, null, null, null, null);

    public static GateDecision accept(String bindInterface, InetAddress bindSource) {
        return new GateDecision(Action.ACCEPT, bindInterface, bindSource, null, null);
    }

    public static GateDecision reject(String plugin, String reason) {
        return new GateDecision(Action.REJECT, null, null, plugin, reason);
    }

    public static GateDecision drop(String plugin, String reason) {
        return new GateDecision(Action.DROP, null, null, plugin, reason);
    }
}
