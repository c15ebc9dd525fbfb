package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of the host's interfaces, addresses and main-table default
 * routes, read over rtnetlink in the calling thread's network namespace
 * (wrap in {@link Netns#callIn} for another one). Immutable; read it again
 * (or follow {@link NetlinkMonitor}) to see changes.
 */
public final class HostView {
    private final List<HostInterface> interfaces;
    private final List<HostRoute> defaultRoutes;

    private HostView(List<HostInterface> interfaces, List<HostRoute> defaultRoutes) {
        this.interfaces = List.copyOf(interfaces);
        this.defaultRoutes = List.copyOf(defaultRoutes);
    }

    /** Dumps links, addresses and IPv4/IPv6 routes (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE). */
    public static HostView read() throws IOException {
        try (NetlinkSocket nl = NetlinkSocket.open(0, false)) {
            Collector c = new Collector();
            nl.dump(s -> RtnlWriter.dump(nl.tx(), Rtnl.RTM_GETLINK, 0, s), c.links::clear, c);
            nl.dump(s -> RtnlWriter.dump(nl.tx(), Rtnl.RTM_GETADDR, 0, s), c.addresses::clear, c);
            // Per family, keeping only that family: without IPv6 in the kernel, the AF_INET6
            // request falls back to a dump of every family, which would list IPv4 routes twice.
            c.routeFamily = 4;
            nl.dump(s -> RtnlWriter.dump(nl.tx(), Rtnl.RTM_GETROUTE, Native.AF_INET, s), c.routes::clear, c);
            int v4 = c.routes.size();
            c.routeFamily = 6;
            nl.dump(s -> RtnlWriter.dump(nl.tx(), Rtnl.RTM_GETROUTE, Native.AF_INET6, s),
                    () -> c.routes.subList(v4, c.routes.size()).clear(), c);
            return c.view();
        }
    }

    /** Builds a view from raw dump replies (concatenated netlink messages): for tests and replays. */
    static HostView parse(ByteBuffer... dumps) {
        Collector c = new Collector();
        for (ByteBuffer d : dumps) {
            RtnlParser.walk(d, 0, d.limit(), c);
        }
        return c.view();
    }

    /** All interfaces, by index. */
    public List<HostInterface> interfaces() {
        return interfaces;
    }

    public Optional<HostInterface> byName(String name) {
        return interfaces.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    public Optional<HostInterface> byIndex(int index) {
        return interfaces.stream().filter(i -> i.index() == index).findFirst();
    }

    /** The default route of that family (4 or 6) with the lowest metric; the first listed among equals. */
    public Optional<HostRoute> defaultRoute(int family) {
        return defaultRoutes.stream()
                .filter(r -> r.family() == family)
                .min(Comparator.comparingLong(r -> Integer.toUnsignedLong(r.metric())));
    }

    /** Every main-table default route, in the order the kernel listed them (IPv4 first). */
    public List<HostRoute> defaultRoutes() {
        return defaultRoutes;
    }

    /** Every address of every interface, in interface order. */
    public List<HostAddress> allAddresses() {
        List<HostAddress> all = new ArrayList<>();
        for (HostInterface i : interfaces) {
            all.addAll(i.addresses());
        }
        return List.copyOf(all);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("HostView[");
        for (HostInterface i : interfaces) {
            sb.append(i.index()).append(':').append(i.name()).append(i.up() ? " up" : " down")
                    .append(" mtu ").append(i.mtu());
            for (HostAddress a : i.addresses()) {
                sb.append(' ').append(a.address().getHostAddress()).append('/').append(a.prefixLength());
            }
            sb.append("; ");
        }
        for (HostRoute r : defaultRoutes) {
            sb.append("default").append(r.family() == 6 ? "6" : "").append(" via ")
                    .append(r.gateway() == null ? "-" : r.gateway().getHostAddress())
                    .append(" dev ").append(r.ifIndex()).append(" metric ")
                    .append(Integer.toUnsignedString(r.metric())).append("; ");
        }
        return sb.append(']').toString();
    }

    /** Sorts dump replies by message type into links, addresses and default routes. */
    private static final class Collector implements RtnlParser.Visitor {
        final List<RtnlParser.Link> links = new ArrayList<>();
        final List<HostAddress> addresses = new ArrayList<>();
        final List<HostRoute> routes = new ArrayList<>();
        /** 4 or 6 to keep only routes of that family, 0 for all. */
        int routeFamily;

        @Override
        public void message(int type, int flags, int seq, ByteBuffer buf, int off, int len) {
            switch (type) {
                case Rtnl.RTM_NEWLINK -> {
                    RtnlParser.Link l = RtnlParser.link(buf, off, len);
                    if (l != null) {
                        links.add(l);
                    }
                }
                case Rtnl.RTM_NEWADDR -> {
                    HostAddress a = RtnlParser.address(buf, off, len);
                    if (a != null) {
                        addresses.add(a);
                    }
                }
                case Rtnl.RTM_NEWROUTE -> {
                    HostRoute r = RtnlParser.defaultRoute(buf, off, len);
                    if (r != null && (routeFamily == 0 || r.family() == routeFamily)) {
                        routes.add(r);
                    }
                }
                default -> { }
            }
        }

        HostView view() {
            Map<Integer, List<HostAddress>> byIf = new LinkedHashMap<>();
            for (HostAddress a : addresses) {
                byIf.computeIfAbsent(a.ifIndex(), k -> new ArrayList<>()).add(a);
            }
            List<HostInterface> ifs = new ArrayList<>();
            for (RtnlParser.Link l : links) {
                ifs.add(l.withAddresses(byIf.getOrDefault(l.index(), List.of())));
            }
            ifs.sort(Comparator.comparingInt(HostInterface::index));
            return new HostView(ifs, routes);
        }
    }
}
