package dev.sluice.plugins.vmisolation;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.HostView;
import dev.sluice.api.Protocol;
import dev.sluice.api.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * The decision, on the event loop: a guest flow to a host-local address and
 * port on which another live instance's forward listens is refused; the own
 * instance's forwards (hairpin) and ports nobody forwards go on to the next
 * filter. Reads the watcher's current {@link PortIndex} (one volatile read)
 * and asks the host view only for ports another instance forwards, so the
 * common flow costs a bit test and allocates nothing.
 */
final class VmIsolationFilter implements FlowFilter {
    private final HostView host;
    private final VmIsolationProvider.Mode mode;
    private final RegistryWatcher watcher;

    VmIsolationFilter(HostView host, VmIsolationProvider.Mode mode, RegistryWatcher watcher) {
        this.host = host;
        this.mode = mode;
        this.watcher = watcher;
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        Protocol proto = flow.protocol();
        if (proto.isIcmp()) {
            return Verdict.CONTINUE; // forwards are TCP and UDP only
        }
        // The mapped destination is where the host socket goes: the gateway becomes loopback, and so on.
        InetSocketAddress dst = flow.mappedDestination();
        int port = dst.getPort();
        PortIndex index = watcher.index();
        if (!index.othersForward(proto, port)) {
            return Verdict.CONTINUE;
        }
        InetAddress address = dst.getAddress();
        PortIndex.Claim listener = index.listener(proto, address, port);
        if (listener == null || listener.own()) {
            return Verdict.CONTINUE;
        }
        if (!host.isLocal(address)) {
            return Verdict.CONTINUE; // another host's port of the same number
        }
        String reason = proto.name().toLowerCase(Locale.ROOT) + " port " + port
                + " is forwarded into another guest (instance " + listener.instanceId() + ")";
        return mode == VmIsolationProvider.Mode.REJECT ? Verdict.reject(reason) : Verdict.drop(reason);
    }

    /** Stops watching and removes this instance's registry entry. */
    @Override
    public void close() {
        watcher.close();
    }

    RegistryWatcher watcher() {
        return watcher;
    }
}
