package dev.sluice.core.plugin;

import dev.sluice.api.HostView;
import dev.sluice.api.PortForward;
import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import java.util.List;
import java.util.Objects;

/**
 * What the core hands the plugin chain at startup: the sources of the views
 * plugins get, and where to count.
 *
 * @param host       the live host view (normally a {@link LiveHostView})
 * @param guest      the guest's address plan
 * @param guestState what was learned about the guest at run time
 * @param counters   where per-plugin counters go
 * @param instanceId this instance's identifier
 * @param forwards   this instance's inbound forwards ({@code -t}, {@code -u}), in the order given
 */
public record PluginEnvironment(HostView host, GuestConfig guest, GuestState guestState, Counters counters,
                                String instanceId, List<PortForward> forwards) {
    public PluginEnvironment {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(guestState, "guestState");
        Objects.requireNonNull(counters, "counters");
        Objects.requireNonNull(instanceId, "instanceId");
        forwards = List.copyOf(forwards);
    }
}
