package dev.sluice.plugins.guestaddr;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.GuestView;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import java.util.List;

/**
 * {@code --plugin guest-addr[:mac=enforce]}: the guest may originate flows
 * only from the addresses it was given; with {@code mac=enforce} it may also
 * send frames only from its own MAC ({@code -M}'s, or the first one Sluice
 * saw). Flows from the given addresses go on to the next filter.
 */
public final class GuestAddrProvider implements FlowFilterProvider {
    static final String MAC = "mac";

    /** What happens to frames from other MACs. */
    enum MacMode {
        /** Not checked: the flow check alone. */
        OFF,
        /** Dropped (and audited): only the guest's MAC may send. */
        ENFORCE
    }

    @Override
    public String name() {
        return "guest-addr";
    }

    @Override
    public String description() {
        return "Drops guest flows from source addresses the guest was not given (and frames from other MACs)";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(new OptionInfo(MAC, "off|enforce",
                "enforce: also drop frames whose source MAC is not the guest's (-M's, or the first seen); default off"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options().requireKnown(MAC);
        MacMode mode = options.getEnum(MAC, MacMode.class, MacMode.OFF);
        GuestView guest = context.guest();
        GuestAddrFilter filter = mode == MacMode.ENFORCE ? new MacEnforcingFilter(guest) : new GuestAddrFilter(guest);
        context.logger().info("guest flows allowed only from " + filter.describe() + "; source MAC "
                + (mode == MacMode.OFF ? "not checked"
                : "enforced: " + guest.mac().map(m -> m + " (fixed)").orElse("the first one seen")));
        return filter;
    }
}
