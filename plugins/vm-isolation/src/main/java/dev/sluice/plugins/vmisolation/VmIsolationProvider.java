package dev.sluice.plugins.vmisolation;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --plugin vm-isolation[:registry=DIR,rescan=MILLIS,mode=reject|drop]}:
 * publishes this instance's inbound forwards in a registry directory shared
 * by the instances of a host, and refuses the guest's flows to host-local
 * ports that another live instance forwards into its guest. See
 * docs/plugins/vm-isolation.md.
 */
public final class VmIsolationProvider implements FlowFilterProvider {
    static final String REGISTRY = "registry";
    static final String RESCAN = "rescan";
    static final String MODE = "mode";
    static final int DEFAULT_RESCAN_MILLIS = 500;

    /** What a refused flow gets. */
    enum Mode {
        /** TCP RST / ICMP unreachable: the guest's application fails at once. */
        REJECT,
        /** Silence: the guest's application times out. */
        DROP
    }

    @Override
    public String name() {
        return "vm-isolation";
    }

    @Override
    public String description() {
        return "Refuses guest flows to host ports that other running Sluice instances forward into their guests";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(
                new OptionInfo(REGISTRY, "DIR", "directory where the instances publish their forwards; instances "
                        + "sharing it are isolated from each other (default $XDG_RUNTIME_DIR/sluice, /run/sluice for root)"),
                new OptionInfo(RESCAN, "MILLIS", "rescan the registry and check that its instances still run at least "
                        + "this often (default " + DEFAULT_RESCAN_MILLIS + "; changes are also seen at once through inotify)"),
                new OptionInfo(MODE, "reject|drop", "tell the guest (reject, the default) or stay silent (drop)"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options().requireKnown(REGISTRY, RESCAN, MODE);
        Path dir = registryDir(options, System.getenv(), isRoot());
        int rescan = options.getInt(RESCAN, DEFAULT_RESCAN_MILLIS, 50, 60_000);
        Mode mode = options.getEnum(MODE, Mode.class, Mode.REJECT);
        RegistryEntry self = RegistryEntry.self(context.instance().id(), context.instance().inboundForwards());
        Registry registry = new Registry(dir);
        RegistryWatcher watcher;
        try {
            watcher = RegistryWatcher.start(registry, self, rescan, context.logger(), Liveness.current());
        } catch (IOException e) {
            throw new IllegalArgumentException("option \"registry\": cannot publish this instance's forwards in "
                    + registry.dir() + ": " + e);
        }
        context.logger().info("published " + "instance " + RegistryWatcher.describe(self) + " as " + watcher.ownFile() + "; "
                + watcher.index().otherInstances() + " other live instance(s); refusing their ports ("
                + mode.name().toLowerCase(Locale.ROOT) + ")");
        return new VmIsolationFilter(context.host(), mode, watcher);
    }

    /** {@code registry=DIR}, else the default for this user. */
    static Path registryDir(PluginOptions options, Map<String, String> env, boolean root) {
        String given = options.get(REGISTRY).orElse(null);
        if (given != null) {
            if (given.isBlank()) {
                throw new IllegalArgumentException("option \"registry\" needs a directory");
            }
            try {
                return Path.of(given.strip());
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("option \"registry\": \"" + given + "\" is not a path");
            }
        }
        // Root instances agree on /run/sluice whatever session they were started from
        // (systemd units have no XDG_RUNTIME_DIR, sudo shells may have /run/user/0).
        if (root) {
            return Path.of("/run/sluice");
        }
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg == null || xdg.isBlank() || !Path.of(xdg).isAbsolute()) {
            throw new IllegalArgumentException("XDG_RUNTIME_DIR is not set: give the registry directory "
                    + "(registry=DIR), the same for every instance to isolate");
        }
        return Path.of(xdg, "sluice");
    }

    /** Whether this process runs as root (the owner of /proc/self is the effective uid). */
    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
