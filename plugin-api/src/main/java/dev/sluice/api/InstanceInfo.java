package dev.sluice.api;

import java.util.List;

/** This Sluice instance: an identifier and its inbound forwards. */
public interface InstanceInfo {
    /** An identifier for this instance, stable for its lifetime (for logs and for plugins that coordinate instances). */
    String id();

    /** The inbound forwards ({@code -t}, {@code -u}) of this instance, in the order given. */
    List<PortForward> inboundForwards();
}
