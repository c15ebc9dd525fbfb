package dev.sluice.core.plugin;

import dev.sluice.api.HostAddress;
import dev.sluice.api.HostView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPI's {@link HostView}, kept current from whatever source knows the
 * host's addresses: today {@link NetworkInterface} ({@link #refresh()},
 * optionally polled), later netlink events fed through
 * {@link #addressAdded}, {@link #addressRemoved} and {@link #replaceAll}.
 *
 * <p>Readers get an immutable snapshot from a volatile field: no locks on the
 * event loop. Writers (a poller or netlink thread) serialize on this object.
 *
 * <p>{@link #isLocal} must not miss an address added a moment ago, before any
 * event or poll has caught up. So a miss in the snapshot is checked with the
 * kernel itself: binding a UDP socket to the address succeeds only if it is
 * local (EADDRNOTAVAIL otherwise), costs three system calls and sends
 * nothing. A hit found that way also triggers a refresh. Where
 * {@code net.ipv4.ip_nonlocal_bind} (or its IPv6 twin) is set, bind succeeds
 * for any address, so that family falls back to the snapshot alone, with a
 * warning.
 */
public final class LiveHostView implements HostView, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveHostView.class);

    /** Asks the kernel whether an address is local to the host. */
    @FunctionalInterface
    public interface LocalProbe {
        boolean isLocal(InetAddress address);
    }

    /** The probe used by {@link #fromNetworkInterfaces()}: bind a UDP socket to the address. */
    public static final LocalProbe BIND_PROBE = LiveHostView::bindSucceeds;

    private record Snapshot(List<HostAddress> list, Set<InetAddress> set, long generation) {
    }

    private final LocalProbe probe;
    private volatile Snapshot snapshot;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private volatile ScheduledExecutorService poller; // written under this, read lock-free

    /**
     * @param initial the addresses known now
     * @param probe   consulted for addresses not in the snapshot, or null to trust the snapshot alone
     */
    public LiveHostView(Collection<HostAddress> initial, LocalProbe probe) {
        this.probe = probe;
        this.snapshot = snapshotOf(List.copyOf(initial), 1);
    }

    /**
     * A view filled from {@link NetworkInterface} now, checking misses with
     * {@link #BIND_PROBE} (per family, unless that family's
     * {@code ip_nonlocal_bind} sysctl makes bind meaningless).
     *
     * @throws UncheckedIOException if the interfaces cannot be read
     */
    public static LiveHostView fromNetworkInterfaces() {
        boolean v4 = !sysctlOn(Path.of("/proc/sys/net/ipv4/ip_nonlocal_bind"));
        boolean v6 = !sysctlOn(Path.of("/proc/sys/net/ipv6/ip_nonlocal_bind"));
        if (!v4 || !v6) {
            log.warn("ip_nonlocal_bind is set for {}: local-address checks of that family rely on the address list"
                    + " alone, which may lag behind a just-added address", !v4 && !v6 ? "IPv4 and IPv6" : !v4 ? "IPv4" : "IPv6");
        }
        LocalProbe probe = (v4 && v6) ? BIND_PROBE
                : a -> (a instanceof Inet6Address ? v6 : v4) && bindSucceeds(a);
        return new LiveHostView(enumerate(), probe);
    }

    private static boolean sysctlOn(Path p) {
        try {
            return Files.readString(p).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Every address of every interface per {@link NetworkInterface}. Addresses
     * of label aliases ({@code eth0:1}) are reported on their device
     * ({@code eth0}), the name {@code SO_BINDTODEVICE} takes.
     *
     * @throws UncheckedIOException if the interfaces cannot be read
     */
    public static List<HostAddress> enumerate() {
        List<HostAddress> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        try {
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            if (all == null) {
                return List.of();
            }
            for (NetworkInterface ni : Collections.list(all)) {
                collect(ni, ni.getName(), ni.getIndex(), out, seen);
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot list the host's interfaces", e);
        }
        return List.copyOf(out);
    }

    private static void collect(NetworkInterface ni, String device, int index, List<HostAddress> out, Set<String> seen) {
        for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
            InetAddress a = ia.getAddress();
            if (a != null && seen.add(device + '/' + a.getHostAddress())) {
                out.add(new HostAddress(device, index, a, ia.getNetworkPrefixLength()));
            }
        }
        for (NetworkInterface sub : Collections.list(ni.getSubInterfaces())) {
            collect(sub, device, index, out, seen);
        }
    }

    private static Snapshot snapshotOf(List<HostAddress> list, long generation) {
        Set<InetAddress> set = new LinkedHashSet<>();
        for (HostAddress a : list) {
            set.add(a.address());
        }
        return new Snapshot(list, Collections.unmodifiableSet(set), generation);
    }

    // ---- HostView, for plugins on the event loop ----

    @Override
    public List<HostAddress> addresses() {
        return snapshot.list();
    }

    @Override
    public Set<InetAddress> localAddresses() {
        return snapshot.set();
    }

    /**
     * The kernel's answer now ({@code if_nametoindex} in this thread's
     * namespace), not the polled snapshot: a link deleted a moment ago is
     * already gone, and links without addresses count.
     */
    @Override
    public boolean hasInterface(String name) {
        return dev.sluice.core.host.InterfaceIndex.exists(name);
    }

    @Override
    public long generation() {
        return snapshot.generation();
    }

    @Override
    public boolean isLocal(InetAddress address) {
        if (address == null || address.isMulticastAddress() || isLimitedBroadcast(address)) {
            return false;
        }
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || snapshot.set().contains(address)) {
            return true;
        }
        if (probe != null && probe.isLocal(address)) {
            // The kernel knows an address we do not: catch up off the loop.
            requestRefresh();
            return true;
        }
        return false;
    }

    private static boolean isLimitedBroadcast(InetAddress a) {
        if (!(a instanceof Inet4Address)) {
            return false;
        }
        byte[] b = a.getAddress();
        return (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff;
    }

    /** Whether the kernel lets a UDP socket bind to {@code address}: true exactly for local addresses (see class doc). */
    static boolean bindSucceeds(InetAddress address) {
        if (address.isMulticastAddress()) {
            return false; // binding to a group address succeeds, but it is not the host's
        }
        StandardProtocolFamily family = address instanceof Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET;
        try (DatagramChannel ch = DatagramChannel.open(family)) {
            ch.bind(new InetSocketAddress(address, 0));
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    // ---- feeding: netlink events, polls ----

    /** Replaces the whole address list (a fresh dump); the generation changes only if the set did. */
    public synchronized void replaceAll(Collection<HostAddress> addresses) {
        List<HostAddress> list = List.copyOf(addresses);
        Snapshot old = snapshot;
        if (!Set.copyOf(list).equals(Set.copyOf(old.list()))) {
            snapshot = snapshotOf(list, old.generation() + 1);
        }
    }

    /** An address appeared (netlink RTM_NEWADDR). */
    public synchronized void addressAdded(HostAddress address) {
        Snapshot old = snapshot;
        if (!old.list().contains(address)) {
            List<HostAddress> list = new ArrayList<>(old.list());
            list.add(address);
            snapshot = snapshotOf(List.copyOf(list), old.generation() + 1);
        }
    }

    /** An address went away (netlink RTM_DELADDR); matched on interface name and address. */
    public synchronized void addressRemoved(HostAddress address) {
        Snapshot old = snapshot;
        List<HostAddress> list = new ArrayList<>(old.list());
        if (list.removeIf(a -> a.interfaceName().equals(address.interfaceName()) && a.address().equals(address.address()))) {
            snapshot = snapshotOf(List.copyOf(list), old.generation() + 1);
        }
    }

    /**
     * Re-reads the addresses from {@link NetworkInterface}. Blocking (a few
     * milliseconds): call it off the event loop. On failure the old list stays.
     */
    public void refresh() {
        try {
            replaceAll(enumerate());
        } catch (UncheckedIOException e) {
            log.warn("cannot refresh the host's addresses: {}", e.getCause().toString());
        }
    }

    /**
     * Refreshes every {@code interval} on a daemon thread of its own, and soon
     * after {@link #isLocal} met an address the list lacked. For as long as
     * no netlink monitor feeds this view. Idempotent.
     */
    public synchronized void startPolling(Duration interval) {
        if (poller != null) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-host-addresses");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, interval.toMillis());
        poller.scheduleWithFixedDelay(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void requestRefresh() {
        ScheduledExecutorService p = poller;
        if (p != null && refreshQueued.compareAndSet(false, true)) {
            try {
                p.execute(() -> {
                    refreshQueued.set(false);
                    refresh();
                });
            } catch (RuntimeException e) {
                refreshQueued.set(false); // shutting down
            }
        }
    }

    /** Stops polling. */
    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }
}
