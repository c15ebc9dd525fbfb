package dev.sluice.plugins.nomaphost;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import java.util.List;
import java.util.Locale;

/**
 * {@code --plugin no-map-host[:allow=loopback][,mode=drop]}: closes the path
 * from the guest to the host's own services. Sluice opens guest flows from
 * the host, so a flow to one of the host's addresses arrives at the host's
 * servers as a local connection (an sshd that trusts local peers, another
 * guest's forwarded port). This filter refuses every guest flow, TCP, UDP
 * and ICMP echo of both families, whose <em>mapped</em> destination is local
 * to the host: any address of any interface (link-local included), all of
 * 127.0.0.0/8 and {@code ::1} (so also the gateway to loopback mapping),
 * 0.0.0.0 and {@code ::}, subnet broadcasts. The kernel is asked at decision
 * time, so an address added to or removed from the host counts from the very
 * next flow.
 */
public final class NoMapHostProvider implements FlowFilterProvider {
    static final String ALLOW = "allow";
    static final String MODE = "mode";
    static final String ALLOW_LOOPBACK = "loopback";

    /** What a refused flow gets. */
    enum Mode {
        /** TCP RST / ICMP unreachable: the guest's application fails at once. */
        REJECT,
        /** Silence: the guest's application times out. */
        DROP
    }

    @Override
    public String name() {
        return "no-map-host";
    }

    @Override
    public String description() {
        return "Refuses guest flows to the host itself: every address of every interface, loopback, as the kernel"
                + " sees them when the flow starts";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(
                new OptionInfo(ALLOW, "loopback", "keep flows Sluice maps to the host's loopback (the gateway"
                        + " mapping, --map-host-loopback, a loopback --dns-forward) open: host services via the"
                        + " gateway only"),
                new OptionInfo(MODE, "reject|drop", "tell the guest (reject, the default) or stay silent (drop)"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options().requireKnown(ALLOW, MODE);
        boolean allowLoopback = false;
        for (String item : options.getList(ALLOW)) {
            if (!item.equals(ALLOW_LOOPBACK)) {
                throw new IllegalArgumentException("option \"allow\": \"" + item + "\" is not one of " + ALLOW_LOOPBACK);
            }
            allowLoopback = true;
        }
        Mode mode = options.getEnum(MODE, Mode.class, Mode.REJECT);
        context.logger().info("refusing guest flows to the host's own addresses"
                + (allowLoopback ? " except those mapped to its loopback" : ", loopback included")
                + " (" + mode.name().toLowerCase(Locale.ROOT) + ")");
        return new NoMapHostFilter(context.host(), allowLoopback, mode);
    }
}
