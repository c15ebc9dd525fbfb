package dev.sluice.core.plugin;

import dev.sluice.api.HostAddress;
import dev.sluice.api.HostView;
import dev.sluice.core.host.AddressEvent;
import dev.sluice.core.host.HostInterface;
import dev.sluice.core.host.NetlinkMonitor;
import dev.sluice.core.host.RouteLookup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
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
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SPI's {@link HostView}. Two parts with different promises:
 *
 * <ul>
 *   <li>{@link #isLocal} and {@link #localInterface} are exact at the moment
 *       of the call, in both directions: each asks the kernel which route it
 *       would use for the address ({@link RouteLookup}, one netlink round
 *       trip, no allocation beyond the address bytes). An address added a
 *       moment ago is local, one removed a moment ago is not. Only fixed
 *       classes skip the kernel: 127.0.0.0/8, {@code ::1} and the
 *       unspecified addresses are always local; multicast and
 *       255.255.255.255 never are.</li>
 *   <li>{@link #addresses()} and friends are a snapshot kept current by the
 *       kernel's address events ({@link #fromNetlink}: a
 *       {@link NetlinkMonitor} registered on the event loop, so the list
 *       trails a change by at most one turn of the loop), or by polling
 *       {@link NetworkInterface} ({@link #fromNetworkInterfaces} and
 *       {@link #startPolling}), or by whoever calls {@link #addressAdded},
 *       {@link #addressRemoved} and {@link #replaceAll}.</li>
 * </ul>
 *
 * <p>Readers get an immutable snapshot from a volatile field: no locks on the
 * event loop. Writers (the event loop, a poller) serialize on this object.
 *
 * <p>The route lookup socket is not thread-safe; the event loop is its only
 * regular user. A call from another thread while it is busy (a plugin's
 * {@code create} racing a decision, which Sluice never does) opens a
 * throw-away socket instead of waiting; that socket is in the caller's
 * network namespace, which in Sluice is every thread's. If the kernel cannot be asked at all
 * (no netlink), the view falls back to binding a UDP socket to the address
 * (which succeeds exactly for assigned addresses and sends nothing), unless
 * {@code ip_nonlocal_bind} makes that meaningless, and then to the snapshot.
 */
public final class LiveHostView implements HostView, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveHostView.class);
    private static final String LOOPBACK = "lo";

    /** Asks the kernel whether an address is local to the host, and through which interface. */
    @FunctionalInterface
    public interface LocalProbe {
        /**
         * The index of the interface that makes {@code address} local right now, 0 if it is
         * local but the interface is unknown, negative if it is not local.
         *
         * @throws IOException if the kernel could not be asked (the view then falls back)
         */
        int localIndex(InetAddress address) throws IOException;
    }

    /** Binding a UDP socket to the address: true for assigned addresses, interface unknown. */
    public static final LocalProbe BIND_PROBE = a -> bindSucceeds(a) ? 0 : -1;

    private record Snapshot(List<HostAddress> list, Set<InetAddress> set, long generation) {
    }

    private final LocalProbe probe;
    private final LocalProbe fallback;
    private final KernelProbe kernel; // the probe when it is the route lookup; null otherwise
    private volatile Snapshot snapshot;
    /** Interface index to name, from dumps and link events; replaced whole on change. */
    private volatile Map<Integer, String> names = Map.of();
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final AtomicBoolean warnedProbe = new AtomicBoolean();
    private volatile ScheduledExecutorService poller; // written under this, read lock-free
    private MonitorHandle monitor; // written under this

    /**
     * A view with a fixed probe and no fallback: for tests and embedding.
     *
     * @param initial the addresses known now
     * @param probe   asked for every address outside the fixed classes, or null to trust the snapshot alone
     */
    public LiveHostView(Collection<HostAddress> initial, LocalProbe probe) {
        this(initial, probe, null, null);
    }

    private LiveHostView(Collection<HostAddress> initial, LocalProbe probe, LocalProbe fallback, KernelProbe kernel) {
        this.probe = probe;
        this.fallback = fallback;
        this.kernel = kernel;
        List<HostAddress> list = List.copyOf(initial);
        this.snapshot = snapshotOf(list, 1);
        this.names = namesOf(list, Map.of());
    }

    /**
     * The view Sluice runs with: addresses dumped over netlink now and kept
     * current by a {@link NetlinkMonitor} on {@code loop}; {@link #isLocal}
     * by route lookup. Opens the monitor before the dump, so no change falls
     * between the two. Call it from any thread once the loop exists; the
     * monitor stays registered until {@link #close} (or the loop's shutdown).
     *
     * @throws IOException if netlink is unavailable (then use {@link #fromNetworkInterfaces})
     */
    public static LiveHostView fromNetlink(IoEventLoop loop) throws IOException {
        NetlinkMonitor mon = NetlinkMonitor.open();
        LiveHostView view = null;
        try {
            dev.sluice.core.host.HostView dump = dev.sluice.core.host.HostView.read();
            KernelProbe kernel = KernelProbe.open();
            view = new LiveHostView(toSpi(dump), kernel, bindFallback(), kernel);
            view.names = namesOf(dump.interfaces());
            view.follow(mon, loop);
            return view;
        } catch (IOException | RuntimeException e) {
            if (view != null) {
                view.close();
            }
            mon.close();
            throw e;
        }
    }

    /**
     * A view filled from {@link NetworkInterface} now ({@link #startPolling}
     * keeps it current), answering {@link #isLocal} by route lookup, or by
     * {@link #BIND_PROBE} if netlink is unavailable.
     *
     * @throws UncheckedIOException if the interfaces cannot be read
     */
    public static LiveHostView fromNetworkInterfaces() {
        LocalProbe bind = bindFallback();
        KernelProbe kernel = null;
        try {
            kernel = KernelProbe.open();
        } catch (IOException e) {
            log.warn("cannot open a netlink socket for route lookups ({}): local-address checks bind a socket instead",
                    e.getMessage());
        }
        return new LiveHostView(enumerate(), kernel != null ? kernel : bind, kernel != null ? bind : null, kernel);
    }

    /** {@link #BIND_PROBE} for the families whose {@code ip_nonlocal_bind} is off, else null (the snapshot decides). */
    private static LocalProbe bindFallback() {
        boolean v4 = !sysctlOn(Path.of("/proc/sys/net/ipv4/ip_nonlocal_bind"));
        boolean v6 = !sysctlOn(Path.of("/proc/sys/net/ipv6/ip_nonlocal_bind"));
        if (v4 && v6) {
            return BIND_PROBE;
        }
        if (!v4 && !v6) {
            return null;
        }
        return a -> (a instanceof Inet6Address ? v6 : v4) ? BIND_PROBE.localIndex(a) : SNAPSHOT_DECIDES;
    }

    /** A fallback's answer meaning "ask the snapshot". */
    private static final int SNAPSHOT_DECIDES = Integer.MIN_VALUE;

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

    /** The SPI's records for a netlink dump: every address with its interface's name. */
    static List<HostAddress> toSpi(dev.sluice.core.host.HostView dump) {
        List<HostAddress> out = new ArrayList<>();
        for (HostInterface i : dump.interfaces()) {
            for (dev.sluice.core.host.HostAddress a : i.addresses()) {
                out.add(new HostAddress(i.name(), i.index(), a.address(), a.prefixLength()));
            }
        }
        return out;
    }

    private static Map<Integer, String> namesOf(List<HostInterface> interfaces) {
        Map<Integer, String> m = new HashMap<>();
        for (HostInterface i : interfaces) {
            m.put(i.index(), i.name());
        }
        return Map.copyOf(m);
    }

    private static Map<Integer, String> namesOf(List<HostAddress> list, Map<Integer, String> base) {
        Map<Integer, String> m = new HashMap<>(base);
        for (HostAddress a : list) {
            if (a.interfaceIndex() > 0) {
                m.putIfAbsent(a.interfaceIndex(), a.interfaceName());
            }
        }
        return Map.copyOf(m);
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
        return localInterface(address) != null;
    }

    @Override
    public String localInterface(InetAddress address) {
        if (address == null || address.isMulticastAddress() || isLimitedBroadcast(address)) {
            return null;
        }
        InetAddress a = unmapped(address);
        if (a != address) {
            return localInterface(a);
        }
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return LOOPBACK; // all of 127/8 and ::1 by definition; connect() to 0.0.0.0 or :: reaches loopback
        }
        int index = ask(a);
        if (index == SNAPSHOT_DECIDES) {
            return nameInList(a);
        }
        if (index < 0) {
            return null;
        }
        if (poller != null && !snapshot.set().contains(a)) {
            requestRefresh(); // the kernel knows an address the polled list lacks: catch up off the loop
        }
        String name = index > 0 ? names.get(index) : null;
        if (name == null) {
            name = nameInList(a);
        }
        if (name == null && index > 0 && kernel != null) {
            name = kernel.interfaceName(index); // an interface newer than the last link event we saw
        }
        return name != null ? name : index > 0 ? "if" + index : "?";
    }

    /** The probe's answer; the fallback's if the probe failed; SNAPSHOT_DECIDES if neither can answer. */
    private int ask(InetAddress a) {
        if (probe == null) {
            return SNAPSHOT_DECIDES;
        }
        try {
            return probe.localIndex(a);
        } catch (IOException | RuntimeException e) {
            if (warnedProbe.compareAndSet(false, true)) {
                log.warn("cannot ask the kernel whether {} is local ({}): falling back to {}", a.getHostAddress(),
                        e.getMessage(), fallback != null ? "a bind check" : "the address list");
            }
        }
        if (fallback == null) {
            return SNAPSHOT_DECIDES;
        }
        try {
            return fallback.localIndex(a);
        } catch (IOException | RuntimeException e) {
            return SNAPSHOT_DECIDES;
        }
    }

    private String nameInList(InetAddress a) {
        for (HostAddress h : snapshot.list()) {
            if (h.address().equals(a)) {
                return h.interfaceName();
            }
        }
        return null;
    }

    /** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address: a dual-stack socket reaches that. */
    private static InetAddress unmapped(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a;
        }
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return a;
            }
        }
        if (b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return a;
        }
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
            return a;
        }
    }

    private static boolean isLimitedBroadcast(InetAddress a) {
        if (!(a instanceof Inet4Address)) {
            return false;
        }
        byte[] b = a.getAddress();
        return (b[0] & b[1] & b[2] & b[3]) == (byte) 0xff;
    }

    /** Whether the kernel lets a UDP socket bind to {@code address}: true exactly for assigned addresses. */
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
        names = namesOf(list, names);
    }

    /** An address appeared (netlink RTM_NEWADDR). */
    public synchronized void addressAdded(HostAddress address) {
        Snapshot old = snapshot;
        if (!old.list().contains(address)) {
            List<HostAddress> list = new ArrayList<>(old.list());
            // RTM_NEWADDR also reports changes (a new prefix length, the end of DAD): one entry per address and interface.
            list.removeIf(a -> sameEntry(a, address));
            list.add(address);
            snapshot = snapshotOf(List.copyOf(list), old.generation() + 1);
        }
        if (address.interfaceIndex() > 0 && !address.interfaceName().equals(names.get(address.interfaceIndex()))) {
            names = namesOf(List.of(address), names);
        }
    }

    /** An address went away (netlink RTM_DELADDR); matched on address and interface (name, or index when known). */
    public synchronized void addressRemoved(HostAddress address) {
        Snapshot old = snapshot;
        List<HostAddress> list = new ArrayList<>(old.list());
        if (list.removeIf(a -> sameEntry(a, address))) {
            snapshot = snapshotOf(List.copyOf(list), old.generation() + 1);
        }
    }

    private static boolean sameEntry(HostAddress a, HostAddress b) {
        return a.address().equals(b.address()) && (a.interfaceName().equals(b.interfaceName())
                || (a.interfaceIndex() > 0 && a.interfaceIndex() == b.interfaceIndex()));
    }

    /** A link appeared, changed (maybe its name) or went away (netlink RTM_NEWLINK / RTM_DELLINK). */
    public synchronized void linkChanged(boolean present, int index, String name) {
        String old = names.get(index);
        if (present ? !name.equals(old) : old != null) {
            Map<Integer, String> m = new HashMap<>(names);
            if (present) {
                m.put(index, name);
            } else {
                m.remove(index);
            }
            names = Map.copyOf(m);
        }
        Snapshot s = snapshot;
        List<HostAddress> list = new ArrayList<>();
        boolean changed = false;
        for (HostAddress a : s.list()) {
            if (a.interfaceIndex() != index) {
                list.add(a);
            } else if (!present) {
                changed = true; // its addresses went with it
            } else if (!a.interfaceName().equals(name)) {
                changed = true; // renamed, or first named by this event
                list.add(new HostAddress(name, index, a.address(), a.prefixLength()));
            } else {
                list.add(a);
            }
        }
        if (changed) {
            snapshot = snapshotOf(List.copyOf(list), s.generation() + 1);
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
     * after {@link #isLocal} met an address the list lacked. For views that no
     * netlink monitor feeds ({@link #fromNetworkInterfaces}). Idempotent.
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

    // ---- the netlink monitor on the event loop ----

    private void follow(NetlinkMonitor mon, IoEventLoop loop) throws IOException {
        MonitorHandle h = new MonitorHandle(this, mon, loop);
        Future<IoRegistration> f = loop.submit(() -> {
            Future<IoRegistration> reg = loop.register(h);
            // On the loop the registration completes at once.
            if (!reg.isSuccess()) {
                throw new IOException("cannot register the netlink monitor", reg.cause());
            }
            IoRegistration r = reg.getNow();
            r.submit(EpollIoOps.EPOLLIN);
            h.drain(); // whatever changed since the monitor opened; only the loop touches the monitor
            return r;
        });
        if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
            throw new IOException("cannot register the netlink monitor on the event loop", f.cause());
        }
        h.registration = f.getNow();
        synchronized (this) {
            monitor = h;
        }
    }

    /** Applies one address event from the monitor (event loop). */
    void onAddressEvent(AddressEvent e) {
        dev.sluice.core.host.HostAddress a = e.address();
        int index = a.ifIndex();
        String name = names.get(index);
        if (name == null && kernel != null) {
            name = kernel.interfaceName(index);
        }
        HostAddress spi = new HostAddress(name != null ? name : "if" + index, index, a.address(), a.prefixLength());
        if (e.added()) {
            addressAdded(spi);
        } else {
            addressRemoved(spi);
        }
    }

    /** After lost events: a fresh dump (blocking for a few milliseconds; rare). */
    void resync() {
        try {
            dev.sluice.core.host.HostView dump = dev.sluice.core.host.HostView.read();
            synchronized (this) {
                names = namesOf(dump.interfaces());
                replaceAll(toSpi(dump));
            }
        } catch (IOException e) {
            log.warn("cannot re-read the host's addresses after lost netlink events: {}", e.getMessage());
        }
    }

    /** The monitor's socket on the loop's epoll: no channel, no thread. */
    private static final class MonitorHandle implements EpollIoHandle {
        final LiveHostView view;
        final NetlinkMonitor mon;
        final IoEventLoop loop;
        final FileDescriptor fd;
        volatile IoRegistration registration;
        boolean warned;

        MonitorHandle(LiveHostView view, NetlinkMonitor mon, IoEventLoop loop) {
            this.view = view;
            this.mon = mon;
            this.loop = loop;
            this.fd = new FileDescriptor(mon.fd());
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            drain();
        }

        void drain() {
            long lost = mon.overruns();
            try {
                mon.drain(view::onAddressEvent, (present, link) -> view.linkChanged(present, link.index(), link.name()));
            } catch (IOException | RuntimeException e) {
                if (!warned) {
                    warned = true;
                    log.warn("netlink monitor: {}", e.toString());
                }
            }
            if (mon.overruns() != lost) {
                view.resync();
            }
        }

        /** The loop shuts down with us registered: {@link LiveHostView#close} closes the socket. */
        @Override
        public void close() {
        }
    }

    /**
     * The route lookup behind {@link #isLocal}: one socket for the event loop;
     * a concurrent caller gets a socket of its own for that call instead of
     * waiting, so no thread ever blocks on another.
     */
    private static final class KernelProbe implements LocalProbe, AutoCloseable {
        private final RouteLookup lookup;
        private final AtomicBoolean busy = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();

        private KernelProbe(RouteLookup lookup) {
            this.lookup = lookup;
        }

        static KernelProbe open() throws IOException {
            return new KernelProbe(RouteLookup.open());
        }

        @Override
        public int localIndex(InetAddress address) throws IOException {
            if (busy.compareAndSet(false, true)) {
                try {
                    return lookup.localIndex(address);
                } finally {
                    busy.set(false);
                }
            }
            try (RouteLookup own = RouteLookup.open()) {
                return own.localIndex(address);
            }
        }

        String interfaceName(int index) {
            if (busy.compareAndSet(false, true)) {
                try {
                    return lookup.interfaceName(index);
                } finally {
                    busy.set(false);
                }
            }
            return null;
        }

        /** Takes the socket for good (later callers open their own), then closes it. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            for (int i = 0; i < 1000; i++) {
                if (busy.compareAndSet(false, true)) {
                    lookup.close();
                    return;
                }
                Thread.onSpinWait();
            }
            log.debug("route lookup socket busy at close: left open");
        }
    }

    /** Stops polling and the netlink monitor, and closes the route lookup socket. Idempotent. */
    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
        MonitorHandle h = monitor;
        monitor = null;
        if (h != null) {
            IoRegistration r = h.registration;
            if (r != null && !h.loop.isShuttingDown()) {
                h.loop.submit(r::cancel).awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            h.mon.close();
        }
        if (kernel != null) {
            kernel.close();
        }
    }
}
