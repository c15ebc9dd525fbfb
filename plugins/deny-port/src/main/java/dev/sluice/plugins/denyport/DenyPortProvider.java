package dev.sluice.plugins.denyport;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import java.util.BitSet;
import java.util.List;

/**
 * {@code --plugin deny-port:ports=22,2222[,mode=drop]}: refuses the guest's
 * TCP and UDP flows to the listed destination ports; everything else goes on
 * to the next filter. A complete, minimal example of a Sluice plugin: a
 * provider that validates its options at startup, and a filter that decides
 * from precomputed state without allocating for flows it lets through.
 */
public final class DenyPortProvider implements FlowFilterProvider {
    static final String PORTS = "ports";
    static final String MODE = "mode";

    /** What a denied flow gets. */
    enum Mode {
        /** TCP RST / ICMP unreachable: the guest's application fails at once. */
        REJECT,
        /** Silence: the guest's application times out. */
        DROP
    }

    @Override
    public String name() {
        return "deny-port";
    }

    @Override
    public String description() {
        return "Refuses guest TCP/UDP flows to the given destination ports";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(
                new OptionInfo(PORTS, "PORT[,LOW-HIGH...]", "destination ports to refuse (required)"),
                new OptionInfo(MODE, "reject|drop", "tell the guest (reject, the default) or stay silent (drop)"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options().requireKnown(PORTS, MODE);
        BitSet ports = parsePorts(options);
        Mode mode = options.getEnum(MODE, Mode.class, Mode.REJECT);
        context.logger().info("refusing destination ports " + describe(ports) + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")");
        return new DenyPortFilter(ports, mode);
    }

    /** {@code 22,2222,6000-6010} as a set of ports. */
    static BitSet parsePorts(PluginOptions options) {
        List<String> items = options.getList(PORTS);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("option \"ports\" is required, e.g. ports=22,2222");
        }
        BitSet ports = new BitSet(65536);
        for (String item : items) {
            int dash = item.indexOf('-');
            if (dash < 0) {
                ports.set(PluginOptions.parseInt(PORTS, item, 1, 65535));
            } else {
                int low = PluginOptions.parseInt(PORTS, item.substring(0, dash).trim(), 1, 65535);
                int high = PluginOptions.parseInt(PORTS, item.substring(dash + 1).trim(), 1, 65535);
                if (low > high) {
                    throw new IllegalArgumentException("option \"ports\": empty range " + item);
                }
                ports.set(low, high + 1);
            }
        }
        return ports;
    }

    /** {@code 22, 2222, 6000-6010}. */
    static String describe(BitSet ports) {
        StringBuilder sb = new StringBuilder();
        for (int low = ports.nextSetBit(0); low >= 0; ) {
            int high = ports.nextClearBit(low) - 1;
            sb.append(sb.length() == 0 ? "" : ", ").append(low);
            if (high > low) {
                sb.append('-').append(high);
            }
            low = ports.nextSetBit(high + 1);
        }
        return sb.toString();
    }
}
