package dev.sluice.core;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.core.flow.DefaultBindingGate;
import dev.sluice.core.flow.DeviceBinder;
import dev.sluice.core.flow.FlowBudgets;
import dev.sluice.core.flow.MappingConfig;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.flow.PasstAddressMapper;
import dev.sluice.core.flow.fwd.PortForwarder;
import dev.sluice.core.flow.fwd.PortSpec;
import dev.sluice.core.flow.icmp.IcmpFlows;
import dev.sluice.core.flow.icmp.IcmpSettings;
import dev.sluice.core.flow.tcp.TcpFlows;
import dev.sluice.core.flow.tcp.TcpSettings;
import dev.sluice.core.flow.udp.UdpFlows;
import dev.sluice.core.flow.udp.UdpSettings;
import dev.sluice.core.host.HostAddress;
import dev.sluice.core.host.PingSocket;
import dev.sluice.core.plugin.AddressText;
import dev.sluice.core.plugin.FilterChain;
import dev.sluice.core.plugin.LiveHostView;
import dev.sluice.core.plugin.PluginCatalog;
import dev.sluice.core.plugin.PluginEnvironment;
import dev.sluice.core.plugin.PluginException;
import dev.sluice.core.host.HostInterface;
import dev.sluice.core.host.HostRoute;
import dev.sluice.core.host.HostView;
import dev.sluice.core.host.LinkConfig;
import dev.sluice.core.host.Netns;
import dev.sluice.core.host.ResolvConf;
import dev.sluice.core.l2.Dispatcher;
import dev.sluice.core.l2.FrameGate;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.link.StreamLink;
import dev.sluice.core.link.TapLink;
import dev.sluice.core.link.vhost.VhostUserLink;
import dev.sluice.core.pcap.PcapWriter;
import dev.sluice.core.wire.Mac;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One running instance: reads the host, derives the guest's plan, opens the
 * guest link, wires the services onto one epoll event loop, prints what the
 * guest will get, and runs until SIGINT/SIGTERM (or, one-off, until the guest
 * leaves). Cleans up its socket, pid file and capture on the way out.
 */
public final class Sluice {
    private static final Logger log = LoggerFactory.getLogger(Sluice.class);

    private Sluice() {
    }

    /** A configuration that cannot work on this host (unknown interface, port in use...): exit 2. */
    static final class ConfigError extends Exception {
        ConfigError(String msg, Throwable cause) {
            super(msg, cause);
        }
    }

    /** Runs until stopped, dropping root to nobody, with the default control socket; returns the exit status. */
    public static int runUntilStopped(RunConfig rc) throws Exception {
        return runUntilStopped(rc, null, dev.sluice.core.control.ControlConfig.DEFAULT);
    }

    /**
     * Runs until stopped, as {@code runAs} once set up (null: nobody when root), with the control
     * socket, audit log and metrics of {@code cc}; returns the exit status.
     */
    public static int runUntilStopped(RunConfig rc, dev.sluice.core.host.Privileges.Ids runAs,
                                      dev.sluice.core.control.ControlConfig cc) throws Exception {
        PluginCatalog catalog;
        try {
            catalog = PluginCatalog.discover(rc.plugins().dirs());
        } catch (PluginException e) {
            log.error("{}", e.getMessage());
            return 2;
        }
        try {
            if (rc.plugins().list()) {
                System.out.print(catalog.describe());
                System.out.flush();
                return 0;
            }
            return run(rc, cc, catalog, runAs);
        } catch (ConfigError e) {
            log.error("{}", e.getMessage());
            return 2;
        } finally {
            catalog.close();
        }
    }

    private static int run(RunConfig rc, dev.sluice.core.control.ControlConfig cc, PluginCatalog catalog,
                           dev.sluice.core.host.Privileges.Ids runAs)
            throws Exception {
        HostFacts host = readHost(rc);
        GuestConfig guest;
        try {
            guest = AddressPlan.derive(rc, host);
        } catch (AddressPlan.NoUsableFamily e) {
            log.error("{}", e.getMessage());
            return 1;
        }
        FlowConfig fc = rc.flows();
        checkInterfaces(fc);

        Counters counters = new Counters();
        GuestState state = new GuestState(guest.guestMac());
        // The loop exists before the chain: the plugins' host view follows netlink events on it.
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        LiveHostView hostView = null;
        FilterChain chain = null;
        if (!rc.plugins().chain().isEmpty()) {
            Confinement.announce(runAs);
            try {
                hostView = LiveHostView.fromNetlink(loop);
            } catch (IOException e) {
                log.warn("no netlink address monitor ({}); polling the host's addresses every 2 s", e.getMessage());
                hostView = LiveHostView.fromNetworkInterfaces();
                hostView.startPolling(Duration.ofSeconds(2));
            }
            PluginEnvironment env = new PluginEnvironment(hostView, guest, state, counters,
                    "sluice-" + ProcessHandle.current().pid(), forwards(fc));
            try {
                chain = FilterChain.build(catalog, rc.plugins().chain(), env);
            } catch (PluginException e) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                hostView.close();
                throw new ConfigError(e.getMessage(), e);
            }
        }
        OutboundGate gate = chain != null ? chain : OutboundGate.ALLOW_ALL;
        InetAddress src4 = fc.outbound().stream().filter(a -> a instanceof Inet4Address).findFirst().orElse(null);
        InetAddress src6 = fc.outbound().stream().filter(a -> a instanceof Inet6Address).findFirst().orElse(null);
        gate = DefaultBindingGate.wrap(gate, src4, src6, fc.outboundIf4(), fc.outboundIf6());
        PasstAddressMapper mapper = new PasstAddressMapper(mapping(fc, guest, host));
        FlowBudgets budget = FlowLimits.budgets(fc);
        DeviceBinder binder = DeviceBinder.HOST;

        CountDownLatch stop = new CountDownLatch(1);
        PcapWriter pcap = null;
        AutoCloseable linkToClose = null;
        dev.sluice.core.flow.fwd.NsForwarder nsForwarder = null;
        dev.sluice.core.host.NsAccess nsAccess = null;
        dev.sluice.core.flow.fwd.AutoForwards autoForwards = null;
        Runtime runtime = null;
        dev.sluice.core.control.ControlServer control = null;
        Path pidFile = rc.pidFile();
        Thread hook = new Thread(stop::countDown, "sluice-shutdown");
        try {
            if (rc.pcap() != null) {
                pcap = PcapWriter.open(rc.pcap());
            }
            GuestLink link;
            String tapName = null;
            StreamLink stream = null;
            VhostUserLink vhost = null;
            if (rc.tapMode()) {
                tapName = rc.nsIfName() != null ? rc.nsIfName()
                        : host.ifName4() != null ? host.ifName4() : host.ifName6() != null ? host.ifName6() : "tap0";
                // setns when Sluice may enter the namespace, else a helper in its user namespace (rootless)
                nsAccess = dev.sluice.core.host.NsAgentClient.forNamespace(rc.netns(), rc.compat().userns());
                TapLink.Device tapDev = TapLink.open(nsAccess::openTap, tapName); // offloads unless the kernel refuses
                configureNamespace(rc, guest, nsAccess, tapName);
                if (!rc.compat().tcpNsForwards().isEmpty() || !rc.compat().udpNsForwards().isEmpty()) {
                    nsForwarder = new dev.sluice.core.flow.fwd.NsForwarder(loop, nsAccess);
                    try {
                        for (PortSpec spec : rc.compat().tcpNsForwards()) {
                            nsForwarder.forwardTcp(spec);
                        }
                        for (PortSpec spec : rc.compat().udpNsForwards()) {
                            nsForwarder.forwardUdp(spec);
                        }
                    } catch (IOException e) {
                        throw new ConfigError(e.getMessage(), e);
                    }
                }
                // a rootless helper is not needed once the sockets are open, unless auto forwards follow ports
                nsAccess.setupDone(anyAuto(rc));
                TapLink tap = new TapLink(loop, PooledByteBufAllocator.DEFAULT, tapDev, tapName,
                        guest.mtu(), counters, pcap);
                link = tap;
                linkToClose = tap;
            } else if (rc.vhostUser()) {
                Path path = rc.socketPath() != null ? rc.socketPath() : StreamLink.defaultPath();
                vhost = new VhostUserLink(loop, PooledByteBufAllocator.DEFAULT, path, guest.mtu(), counters, pcap,
                        rc.oneOff(), stop::countDown);
                link = vhost;
                linkToClose = vhost;
            } else {
                Path path = rc.socketPath() != null ? rc.socketPath() : StreamLink.defaultPath();
                stream = new StreamLink(loop, PooledByteBufAllocator.DEFAULT, path, guest.mtu(), counters, pcap,
                        rc.oneOff(), stop::countDown);
                link = stream;
                linkToClose = stream;
            }
            SluiceContext ctx = new SluiceContext(guest, state, counters, loop, link, PooledByteBufAllocator.DEFAULT);
            OutboundGate g = gate;
            FrameGate frames = chain != null ? chain.frameGate() : null; // null: no plugin checks frames
            runtime = loop.submit(() -> new Runtime(ctx, fc, mapper, g, frames, budget, binder)).get();
            Runtime rt = runtime;
            if (!fc.tcpForwards().isEmpty() || !fc.udpForwards().isEmpty()) {
                PortForwarder fwd = new PortForwarder(ctx, mapper, rt.tcp != null ? rt.tcp::acceptInbound : null,
                        rt.udp, binder);
                rt.forwarder = fwd;
                try {
                    for (PortSpec spec : fc.tcpForwards()) {
                        if (rt.tcp == null) {
                            throw new ConfigError("option '--tcp-ports' needs TCP (remove --no-tcp)", null);
                        }
                        fwd.forwardTcp(spec);
                    }
                    for (PortSpec spec : fc.udpForwards()) {
                        if (rt.udp == null) {
                            throw new ConfigError("option '--udp-ports' needs UDP (remove --no-udp)", null);
                        }
                        fwd.forwardUdp(spec);
                    }
                } catch (IOException e) {
                    String opt = e.getMessage() != null && e.getMessage().contains("UDP") ? "--udp-ports" : "--tcp-ports";
                    throw new ConfigError("option '" + opt + "': " + e.getMessage(), e);
                }
            }
            if (anyAuto(rc)) {
                if (!rc.tapMode()) {
                    throw new ConfigError("port specification 'auto' is pasta's: it needs tap mode (--netns)", null);
                }
                autoForwards = new dev.sluice.core.flow.fwd.AutoForwards(nsAccess, rt.forwarder, nsForwarder,
                        fc.tcpForwards().stream().anyMatch(PortSpec::isAuto),
                        fc.udpForwards().stream().anyMatch(PortSpec::isAuto),
                        rc.compat().tcpNsForwards().stream().anyMatch(PortSpec::isAuto),
                        rc.compat().udpNsForwards().stream().anyMatch(PortSpec::isAuto));
                autoForwards.start();
            }
            if (link instanceof TapLink tap) {
                tap.setHandler(rt);
                tap.start();
            } else if (vhost != null) {
                vhost.setHandler(rt);
                vhost.start();
            } else {
                stream.setHandler(rt);
                stream.start();
            }
            if (rc.tapMode() && rc.compat().netnsQuit()) {
                NetnsWatch.start(loop, Netns.pathFor(rc.netns()), stop::countDown);
            }
            // --- control socket, audit log, metrics (docs/operations.md) ---
            if (cc.enabled() || cc.auditLog() != null || cc.metricsListen() != null) {
                long pid = ProcessHandle.current().pid();
                Path ctlPath = cc.socket() != null ? cc.socket() : dev.sluice.core.control.ControlPaths.defaultPath(pid);
                String v = Sluice.class.getPackage().getImplementationVersion();
                var facts = new dev.sluice.core.control.Snapshot.Facts(v != null ? v : "(development build)", pid,
                        System.currentTimeMillis(), stream != null ? "stream " + stream.path()
                        : vhost != null ? "vhost-user " + vhost.path()
                        : "tap " + tapName + " in namespace " + rc.netns(), guest, ctlPath);
                var loopState = new dev.sluice.core.control.LoopState(counters, state, link, budget, chain,
                        rt.tcp, rt.udp, rt.icmp);
                try {
                    control = dev.sluice.core.control.ControlServer.start(cc, facts, loopState, loop, counters);
                } catch (IOException e) {
                    throw new ConfigError(e.getMessage(), e);
                }
                if (chain != null) {
                    chain.setAuditListener(control.auditListener());
                }
            }
            if (rc.plugins().statsIntervalSeconds() > 0) {
                FilterChain c = chain;
                int every = rc.plugins().statsIntervalSeconds();
                loop.scheduleAtFixedRate(() -> log.info("stats: {}", rt.stats(c)), every, every, TimeUnit.SECONDS);
            }
            if (pidFile != null) {
                Files.writeString(pidFile, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            }
            // Everything privileged is open now: leave root and confine (docs/security.md).
            Confinement.apply(runAs, java.util.Arrays.asList(stream != null ? stream.path() : null,
                    vhost != null ? vhost.path() : null,
                    // only the default socket, in root's sticky /run/sluice; peers are still checked
                    // against the uid that started Sluice (ControlConnection)
                    control != null && cc.socket() == null ? control.path() : null, pidFile));
            if (rt.icmp != null && !PingSocket.groupRangeAdmitsSelf()) {
                log.warn("ping from the guest will fail: net.ipv4.ping_group_range does not include this process's "
                        + "groups (set it, e.g. sysctl -w net.ipv4.ping_group_range='0 2147483647', or use --no-icmp)");
            }
            java.lang.Runtime.getRuntime().addShutdownHook(hook);
            // SIGTERM/SIGINT/SIGHUP are the normal way to stop: handle them so the
            // clean-up below runs on this thread and the exit status is 0.
            for (String sig : new String[] {"TERM", "INT", "HUP"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
            }
            printBanner(rc, host, guest, stream, tapName, vhost);
            if (control != null && control.path() != null) {
                log.info("Control socket at {} (sluice status --control {})", control.path(), control.path());
            }
            log.info("Sluice is ready");
            Background.ready();
            rc.compat().until().thenRun(stop::countDown);
            rc.compat().onReady().run();
            stop.await();
            log.info("stopping");
            return 0;
        } finally {
            try {
                java.lang.Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running us out
            }
            if (control != null) {
                control.close();
            }
            if (linkToClose != null) {
                try {
                    linkToClose.close();
                } catch (Exception e) {
                    log.warn("closing the guest link: {}", e.toString());
                }
            }
            if (autoForwards != null) {
                autoForwards.close();
            }
            if (nsForwarder != null) {
                nsForwarder.close();
            }
            if (nsAccess != null) {
                nsAccess.close();
            }
            if (runtime != null) {
                Runtime rt = runtime;
                loop.submit(rt::close).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (chain != null) {
                log.info("{}", chain.summary());
                chain.close();
            }
            if (hostView != null) {
                hostView.close();
            }
            if (pcap != null) {
                pcap.close();
            }
            if (pidFile != null) {
                Files.deleteIfExists(pidFile);
            }
            Map<String, Long> snap = counters.snapshot();
            if (!snap.isEmpty()) {
                log.info("counters: {}", snap.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(" ")));
            }
        }
    }

    /** The services and flow handlers of one instance; built, used and closed on the event loop. */
    private static final class Runtime implements FrameHandler {
        final Dispatcher dispatcher;
        final TcpFlows tcp;
        final UdpFlows udp;
        final IcmpFlows icmp;
        final FlowBudgets budget;
        PortForwarder forwarder;

        Runtime(SluiceContext ctx, FlowConfig fc, PasstAddressMapper mapper, OutboundGate gate, FrameGate frames,
                FlowBudgets budget, DeviceBinder binder) {
            this.budget = budget;
            dispatcher = new Dispatcher(ctx);
            dispatcher.setFrameFilter(frames);
            tcp = fc.noTcp() ? null : new TcpFlows(ctx, mapper, gate, budget.tcp(), TcpSettings.defaults(), binder);
            udp = fc.noUdp() ? null : new UdpFlows(ctx, mapper, gate, budget.udp(),
                    new UdpSettings(UdpSettings.DEFAULT_IDLE_TIMEOUT, binder));
            icmp = fc.noIcmp() ? null : new IcmpFlows(ctx, mapper, gate, budget.icmp(),
                    new IcmpSettings(IcmpSettings.DEFAULT_IDLE_TIMEOUT, IcmpSettings.DEFAULT.sockets(), binder));
            dispatcher.setTcp(tcp);
            dispatcher.setUdp(udp);
            dispatcher.setIcmp4(icmp != null ? icmp.handlerV4() : null);
            dispatcher.setIcmp6(icmp != null ? icmp.handlerV6() : null);
        }

        @Override
        public void onFrame(io.netty.buffer.ByteBuf frame) {
            dispatcher.onFrame(frame);
        }

        @Override
        public void onFrame(io.netty.buffer.ByteBuf frame, int flags) {
            dispatcher.onFrame(frame, flags);
        }

        @Override
        public void onLinkUp() {
            dispatcher.onLinkUp();
        }

        /** A new guest (QEMU restarted) knows none of the old flows: reset them all. */
        @Override
        public void onLinkDown() {
            dispatcher.onLinkDown();
            if (tcp != null) {
                tcp.onLinkDown();
            }
            if (udp != null) {
                udp.onLinkDown();
            }
            if (icmp != null) {
                icmp.onLinkDown();
            }
        }

        String stats(FilterChain chain) {
            return "flows tcp=" + (tcp != null ? tcp.activeFlows() : 0)
                    + " udp=" + (udp != null ? udp.activeFlows() : 0)
                    + " icmp=" + (icmp != null ? icmp.activeFlows() : 0)
                    + " budget " + budget.usage()
                    + (chain != null ? "; " + chain.summary() : "");
        }

        void close() {
            if (forwarder != null) {
                forwarder.close();
            }
            if (tcp != null) {
                tcp.close();
            }
            if (udp != null) {
                udp.close();
            }
            if (icmp != null) {
                icmp.close();
            }
            dispatcher.close();
        }
    }

    /** The instance's -t/-u forwards as the plugin SPI describes them. */
    static List<PortForward> forwards(FlowConfig fc) {
        List<PortForward> out = new ArrayList<>();
        addForwards(out, Protocol.TCP, fc.tcpForwards());
        addForwards(out, Protocol.UDP, fc.udpForwards());
        return out;
    }

    private static void addForwards(List<PortForward> out, Protocol proto, List<PortSpec> specs) {
        for (PortSpec spec : specs) {
            // "all" binds what is free at startup; publish every port it may
            // cover (excludes left out): isolation errs on the closed side.
            int[] ports = spec.isAll()
                    ? java.util.stream.IntStream.rangeClosed(1, 65535).filter(p -> !spec.isExcluded(p)).toArray()
                    : spec.hostPorts();
            int i = 0;
            while (i < ports.length) {
                int j = i;
                while (j + 1 < ports.length && ports[j + 1] == ports[j] + 1) {
                    j++;
                }
                out.add(new PortForward(proto, spec.bindAddress(), ports[i], ports[j]));
                i = j + 1;
            }
        }
    }

    private static MappingConfig mapping(FlowConfig fc, GuestConfig g, HostFacts host) {
        MappingConfig.Builder b = MappingConfig.builder()
                .gateways(g.gw4(), g.gw6())
                .hostAddresses(host.addr4(), host.addr6())
                .resolvers(host.nameservers())
                .noMapGw(fc.noMapGw());
        fc.mapHostLoopback().forEach(b::mapHostLoopback);
        fc.mapGuestAddr().forEach(b::mapGuestAddr);
        fc.dnsForward().forEach(b::dnsForward);
        fc.dnsHost().forEach(b::dnsHost);
        return b.build();
    }

    /** --outbound-if4/6 name interfaces that must exist now: a typo is an error, not a silent misroute. */
    private static void checkInterfaces(FlowConfig fc) throws IOException, ConfigError {
        if (fc.outboundIf4() == null && fc.outboundIf6() == null) {
            return;
        }
        HostView view = HostView.read();
        for (String[] o : new String[][] {{"--outbound-if4", fc.outboundIf4()}, {"--outbound-if6", fc.outboundIf6()}}) {
            if (o[1] != null && view.byName(o[1]).isEmpty()) {
                throw new ConfigError("option '" + o[0] + "': no interface named " + o[1] + " on the host", null);
            }
        }
    }

    /** Host interface, addresses, gateways and resolvers, per family, over netlink. */
    static HostFacts readHost(RunConfig rc) throws IOException {
        HostView view = HostView.read();
        ResolvConf resolv;
        try {
            resolv = ResolvConf.read(rc.resolvConf());
        } catch (IOException e) {
            log.warn("cannot read {}: {}; offering no DNS unless -D is given", rc.resolvConf(), e.toString());
            resolv = new ResolvConf(List.of(), List.of());
        }
        Optional<HostInterface> forced = Optional.empty();
        if (rc.hostIfName() != null) {
            forced = view.byName(rc.hostIfName());
            if (forced.isEmpty()) {
                throw new IOException("no interface named " + rc.hostIfName() + " on the host");
            }
        }
        HostInterface if4 = pickInterface(view, 4, forced);
        HostInterface if6 = pickInterface(view, 6, forced);
        Inet4Address a4 = null;
        int p4 = 0;
        Inet4Address gw4 = null;
        if (if4 != null) {
            for (HostAddress a : if4.addresses()) {
                if (a.address() instanceof Inet4Address v && !a.linkLocal()) {
                    a4 = v;
                    p4 = a.prefixLength();
                    break;
                }
            }
            gw4 = view.defaultRoute(4).filter(r -> r.ifIndex() == if4.index()).map(HostRoute::gateway)
                    .filter(g -> g instanceof Inet4Address).map(g -> (Inet4Address) g).orElse(null);
        }
        Inet6Address a6 = null;
        int p6 = 0;
        Inet6Address gw6 = null;
        if (if6 != null) {
            for (HostAddress a : if6.addresses()) {
                if (a.address() instanceof Inet6Address v && !a.linkLocal()) {
                    a6 = v;
                    p6 = a.prefixLength();
                    break;
                }
            }
            gw6 = view.defaultRoute(6).filter(r -> r.ifIndex() == if6.index()).map(HostRoute::gateway)
                    .filter(g -> g instanceof Inet6Address).map(g -> (Inet6Address) g).orElse(null);
        }
        int mtu = if4 != null ? if4.mtu() : if6 != null ? if6.mtu() : 1500;
        return new HostFacts(if4 != null ? if4.name() : null, a4, p4, gw4,
                if6 != null ? if6.name() : null, a6, p6, gw6, mtu, resolv.nameservers(), resolv.search());
    }

    private static HostInterface pickInterface(HostView view, int family, Optional<HostInterface> forced) {
        if (forced.isPresent()) {
            return forced.get();
        }
        return view.defaultRoute(family).flatMap(r -> view.byIndex(r.ifIndex())).orElse(null);
    }

    /** Whether any -t/-u/-T/-U is pasta's 'auto'. */
    private static boolean anyAuto(RunConfig rc) {
        return java.util.stream.Stream.of(rc.flows().tcpForwards(), rc.flows().udpForwards(),
                rc.compat().tcpNsForwards(), rc.compat().udpNsForwards())
                .anyMatch(l -> l.stream().anyMatch(PortSpec::isAuto));
    }

    /** pasta's --config-net: the tap up with MTU, addresses and default routes, no DHCP needed. */
    private static void configureNamespace(RunConfig rc, GuestConfig g, dev.sluice.core.host.NsAccess ns,
                                           String tapName) throws IOException {
        if (g.guestMac() != 0) {
            ns.setMac(tapName, g.guestMac());
        }
        ns.setUp(tapName, g.mtu());
        if (!rc.configNet()) {
            return;
        }
        if (g.ipv4()) {
            ns.addAddress(tapName, g.addr4(), g.prefix4());
            ns.addDefaultRoute(tapName, g.gw4());
        }
        if (g.ipv6()) {
            ns.addAddress(tapName, g.addr6(), g.prefix6());
            ns.addDefaultRoute(tapName, g.routerLl6());
        }
    }

    private static void printBanner(RunConfig rc, HostFacts host, GuestConfig g, StreamLink stream, String tapName,
                                    VhostUserLink vhost) {
        List<String> lines = new ArrayList<>();
        if (vhost != null) {
            lines.add("vhost-user back-end listening at " + vhost.path());
        } else if (stream != null) {
            lines.add("UNIX domain socket bound at " + stream.path());
        } else {
            lines.add("Tap device " + tapName + " in namespace " + rc.netns());
        }
        lines.add("Template interface: " + (host.ifName4() != null ? host.ifName4() + " (IPv4)" : "none (IPv4)")
                + ", " + (host.ifName6() != null ? host.ifName6() + " (IPv6)" : "none (IPv6)"));
        lines.add("MAC:");
        lines.add("    host: " + Mac.format(g.ourMac()));
        if (g.guestMac() != 0) {
            lines.add("    guest: " + Mac.format(g.guestMac()));
        }
        if (g.ipv4()) {
            lines.add(g.dhcp() ? "DHCP:" : "IPv4 (no DHCP):");
            lines.add("    assign: " + AddressText.toString(g.addr4()));
            lines.add("    mask: " + mask(g.prefix4()));
            lines.add("    router: " + AddressText.toString(g.gw4()));
            lines.add("    mtu: " + g.mtu());
            for (InetAddress d : g.dns4()) {
                lines.add("    DNS: " + AddressText.toString(d));
            }
        }
        if (g.ipv6()) {
            lines.add((g.ndp() ? "NDP" : "") + (g.dhcpv6() ? (g.ndp() ? "/DHCPv6:" : "DHCPv6:") : g.ndp() ? ":" : "IPv6:"));
            lines.add("    assign: " + AddressText.toString(g.addr6()));
            lines.add("    router: " + AddressText.toString(g.routerLl6()));
            for (InetAddress d : g.dns6()) {
                lines.add("    DNS: " + AddressText.toString(d));
            }
        }
        if (!g.search().isEmpty()) {
            lines.add("DNS search list:");
            for (String s : g.search()) {
                lines.add("    " + s);
            }
        }
        if (stream != null) {
            lines.add("You can now start qemu (>= 7.2):");
            lines.add("    qemu-system-x86_64 ... -device virtio-net-pci,netdev=s0 -netdev stream,id=s0,server=off,"
                    + "addr.type=unix,addr.path=" + stream.path());
        }
        if (vhost != null) {
            lines.add("You can now start qemu (>= 7.2):");
            lines.add("    qemu-system-x86_64 ... -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,"
                    + "memdev=mem -chardev socket,id=c0,path=" + vhost.path() + " -netdev vhost-user,id=n0,chardev=c0"
                    + " -device virtio-net-pci,netdev=n0");
            lines.add("    (under TCG, Debian's QEMU 7.2 needs vectors=0 on the device: "
                    + "-device virtio-net-pci,netdev=n0,vectors=0; see docs/vhost-user.md)");
        }
        for (String l : lines) {
            log.info("{}", l);
        }
    }

    static String mask(int prefix) {
        int m = prefix == 0 ? 0 : -1 << (32 - prefix);
        return ((m >>> 24) & 0xff) + "." + ((m >>> 16) & 0xff) + "." + ((m >>> 8) & 0xff) + "." + (m & 0xff);
    }

}
