package dev.sluice.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A fixed {@link FilterContext} for plugin unit tests, so a plugin can be
 * tested without Sluice's core:
 * <pre>{@code
 * TestingFilterContext ctx = TestingFilterContext.builder()
 *         .option("ports", "22,2222")
 *         .hostAddress("eth0", InetAddress.getByName("10.77.0.1"), 24)
 *         .build();
 * FlowFilter filter = new MyProvider().create(ctx);
 * }</pre>
 * Its host view calls an address local if it was added with
 * {@link Builder#hostAddress}, is a loopback address or is unspecified; it
 * has the interfaces named there or with {@link Builder#hostInterface}. The
 * host side may change during a test ({@link #addHostAddress},
 * {@link #removeHostAddress}, {@link #removeHostInterface}), to see a filter
 * follow the host; the rest is fixed. Log lines are kept in
 * {@link #logLines()} as {@code "LEVEL message"}. Not used by Sluice itself.
 */
public final class TestingFilterContext implements FilterContext {
    private final PluginOptions options;
    private final HostView host;
    private final GuestView guest;
    private final InstanceInfo instance;
    private volatile HostState hostState;
    private final List<String> logLines = Collections.synchronizedList(new ArrayList<>());
    private final PluginLogger logger = new PluginLogger() {
        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public void debug(String message) {
            logLines.add("DEBUG " + message);
        }

        @Override
        public void info(String message) {
            logLines.add("INFO " + message);
        }

        @Override
        public void warn(String message) {
            logLines.add("WARN " + message);
        }

        @Override
        public void warn(String message, Throwable cause) {
            logLines.add("WARN " + message + ": " + cause);
        }

        @Override
        public void error(String message, Throwable cause) {
            logLines.add("ERROR " + message + ": " + cause);
        }
    };

    private TestingFilterContext(Builder b) {
        this.options = PluginOptions.of(b.options);
        this.hostState = new HostState(List.copyOf(b.hostAddresses), Set.copyOf(b.hostInterfaces), 0);
        this.host = new HostView() {
            @Override
            public List<HostAddress> addresses() {
                return hostState.addresses;
            }

            @Override
            public Set<InetAddress> localAddresses() {
                return hostState.local;
            }

            @Override
            public boolean isLocal(InetAddress address) {
                return hostState.local.contains(address) || address.isLoopbackAddress() || address.isAnyLocalAddress();
            }

            @Override
            public long generation() {
                return hostState.generation;
            }

            @Override
            public boolean hasInterface(String name) {
                return hostState.interfaces.contains(name);
            }
        };
        Optional<Inet4Address> a4 = Optional.ofNullable(b.address4);
        Optional<Inet6Address> a6 = Optional.ofNullable(b.address6);
        Optional<Inet4Address> g4 = Optional.ofNullable(b.gateway4);
        Optional<Inet6Address> g6 = Optional.ofNullable(b.gateway6);
        List<InetAddress> assigned = new ArrayList<>();
        a4.ifPresent(assigned::add);
        a6.ifPresent(assigned::add);
        List<InetAddress> assignedView = List.copyOf(assigned);
        Optional<String> mac = Optional.ofNullable(b.mac);
        long macLong = b.mac == null ? 0 : GuestView.parseMac(b.mac);
        int prefix4 = a4.isEmpty() ? 0 : b.prefix4;
        int prefix6 = a6.isEmpty() ? 0 : b.prefix6;
        boolean slaac = prefix6 == 64 && b.slaac;
        Set<InetAddress> seen = Collections.unmodifiableSet(new LinkedHashSet<>(b.seen));
        this.guest = new GuestView() {
            @Override
            public Optional<Inet4Address> address4() {
                return a4;
            }

            @Override
            public Optional<Inet6Address> address6() {
                return a6;
            }

            @Override
            public Optional<Inet4Address> gateway4() {
                return g4;
            }

            @Override
            public Optional<Inet6Address> gateway6() {
                return g6;
            }

            @Override
            public List<InetAddress> assignedAddresses() {
                return assignedView;
            }

            @Override
            public Optional<String> mac() {
                return mac;
            }

            @Override
            public long macAsLong() {
                return macLong;
            }

            @Override
            public int prefixLength4() {
                return prefix4;
            }

            @Override
            public int prefixLength6() {
                return prefix6;
            }

            @Override
            public boolean slaac() {
                return slaac;
            }

            @Override
            public Set<InetAddress> seenAddresses() {
                return seen;
            }
        };
        String id = b.instanceId;
        List<PortForward> forwards = List.copyOf(b.forwards);
        this.instance = new InstanceInfo() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public List<PortForward> inboundForwards() {
                return forwards;
            }
        };
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A context with no options and empty views. */
    public static TestingFilterContext empty() {
        return builder().build();
    }

    @Override
    public PluginOptions options() {
        return options;
    }

    @Override
    public HostView host() {
        return host;
    }

    @Override
    public GuestView guest() {
        return guest;
    }

    @Override
    public InstanceInfo instance() {
        return instance;
    }

    @Override
    public PluginLogger logger() {
        return logger;
    }

    /**
     * The host's side as of now: addresses, interfaces (those with addresses
     * and those added without), and the generation, which changes with every
     * edit. Replaced whole, so readers on another thread see a consistent one.
     */
    private static final class HostState {
        final List<HostAddress> addresses;
        final Set<InetAddress> local;
        final Set<String> interfaces;
        final long generation;

        HostState(List<HostAddress> addresses, Set<String> bareInterfaces, long generation) {
            this.addresses = List.copyOf(addresses);
            Set<InetAddress> set = new LinkedHashSet<>();
            Set<String> names = new LinkedHashSet<>(bareInterfaces);
            for (HostAddress a : addresses) {
                set.add(a.address());
                names.add(a.interfaceName());
            }
            this.local = Collections.unmodifiableSet(set);
            this.interfaces = Collections.unmodifiableSet(names);
            this.generation = generation;
        }
    }

    /**
     * Adds an address to the host, creating its interface if needed: to test
     * how a filter follows the host changing while it runs.
     */
    public synchronized void addHostAddress(String interfaceName, InetAddress address, int prefixLength) {
        HostState old = hostState;
        List<HostAddress> list = new ArrayList<>(old.addresses);
        list.add(new HostAddress(interfaceName, list.size() + 1, address, prefixLength));
        hostState = new HostState(list, old.interfaces, old.generation + 1);
    }

    /** Removes an address from whichever interface holds it; the interface stays. */
    public synchronized void removeHostAddress(InetAddress address) {
        HostState old = hostState;
        List<HostAddress> list = new ArrayList<>(old.addresses);
        list.removeIf(a -> a.address().equals(address));
        hostState = new HostState(list, old.interfaces, old.generation + 1);
    }

    /**
     * Removes an interface and its addresses, as {@code ip link del} would:
     * {@link HostView#hasInterface} answers false from now on.
     */
    public synchronized void removeHostInterface(String interfaceName) {
        HostState old = hostState;
        List<HostAddress> list = new ArrayList<>(old.addresses);
        list.removeIf(a -> a.interfaceName().equals(interfaceName));
        Set<String> names = new LinkedHashSet<>(old.interfaces);
        names.remove(interfaceName);
        hostState = new HostState(list, names, old.generation + 1);
    }

    /** What the plugin logged so far, {@code "LEVEL message"} per line. */
    public List<String> logLines() {
        synchronized (logLines) {
            return List.copyOf(logLines);
        }
    }

    /** Builds a {@link TestingFilterContext}. */
    public static final class Builder {
        private final Map<String, String> options = new LinkedHashMap<>();
        private final List<HostAddress> hostAddresses = new ArrayList<>();
        private final Set<String> hostInterfaces = new LinkedHashSet<>();
        private Inet4Address address4;
        private int prefix4 = 24;
        private Inet6Address address6;
        private int prefix6 = 64;
        private boolean slaac = true;
        private Inet4Address gateway4;
        private Inet6Address gateway6;
        private String mac;
        private final List<InetAddress> seen = new ArrayList<>();
        private String instanceId = "test";
        private final List<PortForward> forwards = new ArrayList<>();

        private Builder() {
        }

        public Builder option(String key, String value) {
            options.put(key, value);
            return this;
        }

        public Builder options(Map<String, String> values) {
            options.putAll(values);
            return this;
        }

        public Builder hostAddress(String interfaceName, InetAddress address, int prefixLength) {
            hostAddresses.add(new HostAddress(interfaceName, hostAddresses.size() + 1, address, prefixLength));
            return this;
        }

        /** An interface without addresses (one with addresses comes with {@link #hostAddress}). */
        public Builder hostInterface(String interfaceName) {
            hostInterfaces.add(interfaceName);
            return this;
        }

        public Builder guestAddress4(Inet4Address address) {
            this.address4 = address;
            return this;
        }

        public Builder guestAddress6(Inet6Address address) {
            this.address6 = address;
            return this;
        }

        /** The guest's IPv4 address and the prefix length DHCP gives with it (by default 24). */
        public Builder guestAddress4(Inet4Address address, int prefixLength) {
            if (prefixLength < 0 || prefixLength > 32) {
                throw new IllegalArgumentException("IPv4 prefix length " + prefixLength);
            }
            this.address4 = address;
            this.prefix4 = prefixLength;
            return this;
        }

        /**
         * The guest's IPv6 address, the length of the advertised prefix it lies
         * in (by default 64), and whether that prefix is advertised for SLAAC
         * (by default true; only a /64 can be).
         */
        public Builder guestAddress6(Inet6Address address, int prefixLength, boolean slaac) {
            if (prefixLength < 0 || prefixLength > 128) {
                throw new IllegalArgumentException("IPv6 prefix length " + prefixLength);
            }
            this.address6 = address;
            this.prefix6 = prefixLength;
            this.slaac = slaac;
            return this;
        }

        public Builder gateway4(Inet4Address address) {
            this.gateway4 = address;
            return this;
        }

        public Builder gateway6(Inet6Address address) {
            this.gateway6 = address;
            return this;
        }

        /** The guest's MAC, {@code aa:bb:cc:dd:ee:ff}; by default unknown (as before its first frame). */
        public Builder guestMac(String mac) {
            if (mac != null) {
                GuestView.parseMac(mac);
            }
            this.mac = mac;
            return this;
        }

        public Builder guestSeen(InetAddress address) {
            seen.add(address);
            return this;
        }

        public Builder instanceId(String id) {
            this.instanceId = id;
            return this;
        }

        public Builder forward(PortForward forward) {
            forwards.add(forward);
            return this;
        }

        public TestingFilterContext build() {
            return new TestingFilterContext(this);
        }
    }
}
