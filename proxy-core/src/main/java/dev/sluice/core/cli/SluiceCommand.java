package dev.sluice.core.cli;

import dev.sluice.core.FlowConfig;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.PluginConfig;
import dev.sluice.core.flow.MappingConfig;
import dev.sluice.core.plugin.PluginSpec;
import dev.sluice.core.RunConfig;
import dev.sluice.core.Sluice;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code sluice}: the options, with passt's names and meanings where Sluice
 * shares the feature. Parsing and validation only; {@link Sluice} runs it.
 */
@Command(name = "sluice",
        mixinStandardHelpOptions = false,
        sortOptions = false,
        usageHelpAutoWidth = true,
        versionProvider = SluiceCommand.Version.class,
        description = {
            "User-mode networking for virtual machines and containers, with pluggable outbound-flow filters.",
            "",
            "Stream mode (default): listen on a UNIX socket for QEMU's '-netdev stream'. "
                + "Tap mode (--netns): open a tap device in a network namespace. "
                + "Either way the guest gets DHCP, DHCPv6, NDP and ARP answers from Sluice, "
                + "and by default the host's own address and default gateway, like passt."
        },
        footer = {
            "",
            "Exit status: 0 on a clean stop, 1 on a runtime failure, 2 on a bad option or value.",
            "Options may also be read from files: sluice @/etc/sluice/sluice.args"
        })
public final class SluiceCommand implements Callable<Integer> {

    // --- guest link ---------------------------------------------------------
    @Option(names = {"-s", "--socket"}, paramLabel = "PATH",
            description = "Stream and vhost-user modes: UNIX socket to listen on (default: a free /tmp/sluice_N.socket, printed)")
    Path socket;

    @Option(names = {"-1", "--one-off"}, description = "Stream and vhost-user modes: quit when the guest disconnects, instead of waiting for the next one")
    boolean oneOff;

    // --- vhost-user (docs/vhost-user.md) ---
    @Option(names = "--vhost-user",
            description = "vhost-user mode: be the vhost-user back-end of QEMU's virtio-net, listening on --socket")
    boolean vhostUser;

    @Option(names = "--print-capabilities", description = "Print the vhost-user back-end capabilities (JSON) and exit")
    boolean printCapabilities;

    @Option(names = "--netns", paramLabel = "PATH|NAME",
            description = "Tap mode: open a tap device in this network namespace (a path, or a name under /run/netns)")
    String netns;

    @Option(names = {"-I", "--ns-ifname"}, paramLabel = "NAME", converter = Converters.IfName.class,
            description = "Tap mode: name of the tap device (default: the host interface's name)")
    String nsIfName;

    @Option(names = "--config-net", description = "Tap mode: also assign addresses, routes and MTU in the namespace directly")
    boolean configNet;

    // --- addresses ------------------------------------------------------------
    @Option(names = {"-i", "--interface"}, paramLabel = "NAME", converter = Converters.IfName.class,
            description = "Host interface to take addresses and routes from (default: the one of the default route)")
    String hostIf;

    @Option(names = {"-a", "--address"}, paramLabel = "ADDR", converter = Converters.Address.class,
            description = "Assign this IPv4 or IPv6 address to the guest (once per family)")
    List<InetAddress> addresses = new ArrayList<>();

    @Option(names = {"-n", "--netmask"}, paramLabel = "MASK", converter = Converters.Netmask.class,
            description = "IPv4 netmask, dot-decimal or a prefix length (default: the host's)")
    Integer netmask;

    @Option(names = {"-g", "--gateway"}, paramLabel = "ADDR", converter = Converters.Address.class,
            description = "Gateway the guest is given, IPv4 or IPv6 (once per family; default: the host's)")
    List<InetAddress> gateways = new ArrayList<>();

    @Option(names = {"-M", "--mac-addr"}, paramLabel = "ADDR", converter = Converters.MacAddress.class,
            description = "The guest's MAC address (default: learned from its first frame)")
    Long mac;

    @Option(names = {"-m", "--mtu"}, paramLabel = "MTU", converter = Converters.Mtu.class,
            description = "MTU offered to the guest, 576 to 65520 (default: ${DEFAULT-VALUE}; below 1280 disables IPv6)")
    int mtu = GuestConfig.DEFAULT_MTU;

    @Option(names = {"-D", "--dns"}, paramLabel = "ADDR",
            description = "DNS server offered to the guest (repeatable), or 'none' (default: the host's)")
    List<String> dns = new ArrayList<>();

    @Option(names = {"-S", "--search"}, paramLabel = "LIST",
            description = "Search domains offered to the guest (space or comma separated, repeatable), or 'none' (default: the host's)")
    List<String> search = new ArrayList<>();

    @Option(names = "--no-dhcp", description = "Do not answer DHCP")
    boolean noDhcp;

    @Option(names = "--no-ndp", description = "Do not answer NDP (and send no router advertisements)")
    boolean noNdp;

    @Option(names = "--no-dhcpv6", description = "Do not answer DHCPv6")
    boolean noDhcpv6;

    @Option(names = "--no-ra", description = "Send no router advertisements")
    boolean noRa;

    @Option(names = {"-4", "--ipv4-only"}, description = "IPv4 only")
    boolean ipv4Only;

    @Option(names = {"-6", "--ipv6-only"}, description = "IPv6 only")
    boolean ipv6Only;

    // --- translation -----------------------------------------------------------
    @Option(names = {"-t", "--tcp-ports"}, paramLabel = "SPEC", converter = Converters.Ports.class,
            description = "Forward host TCP ports to the guest (repeatable): none, all, 22, 2222:22, 1000-1100, "
                    + "1000-1100:2000-2100, ~1050 (exclude), ADDR/PORTS, ADDR%%IFACE/PORTS, comma lists; "
                    + "pasta's auto: the ports bound in the namespace")
    List<dev.sluice.core.flow.fwd.PortSpec> tcpPorts = new ArrayList<>();

    @Option(names = {"-u", "--udp-ports"}, paramLabel = "SPEC", converter = Converters.Ports.class,
            description = "Forward host UDP ports to the guest (repeatable), same syntax as -t")
    List<dev.sluice.core.flow.fwd.PortSpec> udpPorts = new ArrayList<>();

    @Option(names = "--map-host-loopback", paramLabel = "ADDR|none",
            description = "Guest connections to ADDR reach the host's loopback (default: the gateway address)")
    List<String> mapHostLoopback = new ArrayList<>();

    @Option(names = "--no-map-gw", description = "Do not map the gateway to the host's loopback (= --map-host-loopback none)")
    boolean noMapGw;

    @Option(names = "--map-guest-addr", paramLabel = "ADDR|none",
            description = "Guest connections to ADDR reach the host's own external address")
    List<String> mapGuestAddr = new ArrayList<>();

    @Option(names = "--dns-forward", paramLabel = "ADDR",
            description = "Guest DNS queries to ADDR go to the host's resolver (loopback resolvers included)")
    List<String> dnsForward = new ArrayList<>();

    @Option(names = "--dns-host", paramLabel = "ADDR",
            description = "Where --dns-forward queries go (default: the host's first resolver)")
    List<String> dnsHost = new ArrayList<>();

    @Option(names = {"-o", "--outbound"}, paramLabel = "ADDR", converter = Converters.Address.class,
            description = "Bind outbound sockets to this source address (once per family)")
    List<InetAddress> outbound = new ArrayList<>();

    @Option(names = "--outbound-if4", paramLabel = "NAME", converter = Converters.IfName.class,
            description = "Bind outbound IPv4 sockets to this interface (SO_BINDTODEVICE)")
    String outboundIf4;

    @Option(names = "--outbound-if6", paramLabel = "NAME", converter = Converters.IfName.class,
            description = "Bind outbound IPv6 sockets to this interface (SO_BINDTODEVICE)")
    String outboundIf6;

    @Option(names = "--no-tcp", description = "Do not translate TCP")
    boolean noTcp;

    @Option(names = "--no-udp", description = "Do not translate UDP")
    boolean noUdp;

    @Option(names = "--no-icmp", description = "Do not translate ICMP/ICMPv6 echo")
    boolean noIcmp;

    @Option(names = "--max-flows", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Most concurrent flows of all protocols, split TCP 50%%, UDP 40%%, ICMP 10%% and never more than "
                    + "the open-file limit allows; at a protocol's cap the oldest pending flow makes room, else new flows are "
                    + "refused (default: ${DEFAULT-VALUE})")
    int maxFlows = dev.sluice.core.flow.FlowBudget.DEFAULT_MAX;

    @Option(names = "--flow-rate", paramLabel = "tcp=N,udp=N,icmp=N", converter = Converters.FlowRateList.class,
            description = "Most new flows per second the guest may open, per protocol (default: no limit)")
    dev.sluice.core.flow.FlowRates flowRates = dev.sluice.core.flow.FlowRates.NONE;

    // --- plugins ---------------------------------------------------------------
    @Option(names = "--plugin", paramLabel = "NAME[:KEY=VALUE[,KEY=VALUE...]]",
            description = "Add an outbound-flow filter to the chain (repeatable; the chain runs in the order given)")
    List<String> plugins = new ArrayList<>();

    @Option(names = "--plugin-dir", paramLabel = "DIR",
            description = "Also load plugin jars from DIR (repeatable), after the distribution's plugins/ and "
                    + "$XDG_DATA_HOME/sluice/plugins (those that exist); 'none' leaves those two out")
    List<Path> pluginDirs = new ArrayList<>();

    @Option(names = "--list-plugins", description = "List the plugins found (name, version, origin, description, options) and exit")
    boolean listPlugins;

    @Option(names = "--stats-interval", paramLabel = "SECONDS", converter = Converters.PositiveInt.class,
            description = "Log the plugin chain's counters every SECONDS (they are always logged at exit)")
    int statsInterval;

    // --- control socket, audit log, metrics (dev.sluice.core.control; docs/operations.md) ---
    @Option(names = "--control", paramLabel = "PATH|none",
            description = "Control socket for sluice status|flows|audit|metrics, mode 0600 (default: "
                    + "/run/sluice/PID.ctl for root, else $XDG_RUNTIME_DIR/sluice/PID.ctl); none: no socket")
    String control;

    @Option(names = "--audit-log", paramLabel = "FILE",
            description = "Also write every audit event (refused flow or frame) to FILE as JSON lines, mode 0600, "
                    + "rotated at 10 MiB to FILE.1 ... FILE.5")
    Path auditLog;

    @Option(names = "--metrics-listen", paramLabel = "ADDR:PORT", converter = Converters.HostPort.class,
            description = "Serve GET /metrics (Prometheus text) over HTTP on ADDR:PORT, e.g. 127.0.0.1:9464 "
                    + "(no authentication: keep it on loopback)")
    java.net.InetSocketAddress metricsListen;

    // --- diagnostics ------------------------------------------------------------
    @Option(names = {"-p", "--pcap"}, paramLabel = "FILE",
            description = "Write every frame, both directions, to FILE in pcap format (tcpdump -r FILE)")
    Path pcap;

    @Option(names = {"-P", "--pid"}, paramLabel = "FILE", description = "Write the process id to FILE (removed at exit)")
    Path pidFile;

    @Option(names = {"-l", "--log-file"}, paramLabel = "FILE", description = "Log to FILE instead of standard error")
    Path logFile;

    @Option(names = {"-d", "--debug"}, description = "Debug messages")
    boolean debug;

    @Option(names = "--trace", description = "Debug and per-packet trace messages")
    boolean trace;

    @Option(names = {"-q", "--quiet"}, description = "Warnings and errors only")
    boolean quiet;

    @Option(names = {"-f", "--foreground"},
            description = "Stay in the foreground. sluice always does; as passt or pasta, Sluice goes to the "
                    + "background once it is ready, as passt does, unless -f is given")
    boolean foreground;

    // --- privileges (docs/security.md) -------------------------------------------------
    @Option(names = "--runas", paramLabel = "UID|USER[:GID|GROUP]", converter = Converters.RunAs.class,
            description = "Once set up, run as this user (default when started as root: nobody, like passt)")
    dev.sluice.core.host.Privileges.Ids runAs;

    // --- passt/pasta drop-in ------------------------------------------------------
    @Option(names = {"-H", "--hostname"}, paramLabel = "NAME", converter = Converters.HostName.class,
            description = "Host name offered to the guest (DHCP option 12)")
    String hostname;

    @Option(names = "--fqdn", paramLabel = "NAME", converter = Converters.HostName.class,
            description = "Fully qualified domain name offered to the guest (DHCP option 81, DHCPv6 option 39)")
    String fqdn;

    @Option(names = {"-T", "--tcp-ns"}, paramLabel = "SPEC", converter = Converters.Ports.class,
            description = "Tap mode: connections inside the namespace to its loopback PORTS reach the host's "
                    + "loopback (repeatable; same syntax as -t; default none)")
    List<dev.sluice.core.flow.fwd.PortSpec> tcpNsPorts = new ArrayList<>();

    @Option(names = {"-U", "--udp-ns"}, paramLabel = "SPEC", converter = Converters.Ports.class,
            description = "Tap mode: UDP sent inside the namespace to its loopback PORTS reaches the host's "
                    + "loopback, replies come back (repeatable; same syntax as -t; default none)")
    List<dev.sluice.core.flow.fwd.PortSpec> udpNsPorts = new ArrayList<>();

    @Option(names = "--userns", paramLabel = "PATH",
            description = "Tap mode: the user namespace to enter with the network namespace when Sluice may not "
                    + "enter it itself (rootless; default: the one that owns the network namespace)")
    String userns;

    @Option(names = "--no-netns-quit", description = "Tap mode: keep running when the target namespace disappears")
    boolean noNetnsQuit;

    @CommandLine.Parameters(arity = "0..*", paramLabel = "PID|COMMAND",
            description = "As pasta: PID, the process whose network namespace gets the tap (= --netns "
                    + "/proc/PID/ns/net); or COMMAND [ARG]..., run in a new network namespace that gets the tap "
                    + "(default: $SHELL; as an ordinary user in a new user namespace too), pasta exiting with its status")
    List<String> positional = new ArrayList<>();

    /** pasta's PID argument, or null. */
    String pid;

    @Option(names = "--resolv-conf", paramLabel = "FILE", hidden = true,
            description = "Read the host's resolvers from FILE instead of /etc/resolv.conf")
    Path resolvConf = Path.of("/etc/resolv.conf");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    boolean help;

    @Option(names = "--version", versionHelp = true, description = "Print the version and exit")
    boolean version;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and returns the process exit status. */
    public static int run(String[] args) {
        return execute(commandLine(), args);
    }

    /** {@link CommandLine#execute} after the checks picocli cannot make (an unreadable @FILE). */
    static int execute(CommandLine cl, String[] args) {
        String unreadable = StartupChecks.unreadableArgFile(args);
        if (unreadable != null) {
            cl.getErr().println("sluice: " + unreadable);
            cl.getErr().flush();
            return 2;
        }
        return cl.execute(args);
    }

    /** The configured picocli model, also used to generate the man page and completion. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SluiceCommand());
        ClientCommands.addTo(cl); // first: the settings below then reach the subcommands too
        cl.setCommandName(Personality.current().command());
        if (Personality.current() == Personality.PASTA) {
            // pasta [OPTIONS] COMMAND [ARG]...: the command's own options are not ours
            cl.setStopAtPositional(true);
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExpandAtFiles(true);
        cl.setParameterExceptionHandler(SluiceCommand::onBadOption);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            String who = Personality.current().command();
            if (ex instanceof UsageError u) {
                cmd.getErr().println(who + ": " + u.getMessage());
                return 2;
            }
            cmd.getErr().println(who + ": " + StartupChecks.oneLine(ex));
            if (parseResult.hasMatchedOption("-d") || parseResult.hasMatchedOption("--trace")) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return 1;
        });
        return cl;
    }

    /** One line naming the option, exit 2, as operators of passt expect. */
    private static int onBadOption(ParameterException ex, String[] args) {
        PrintWriter err = ex.getCommandLine().getErr();
        String who = Personality.current().command();
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            for (String arg : u.getUnmatched()) {
                String passt = PasstOptions.unsupported(arg);
                if (passt != null) {
                    // passt's own status for an option it cannot use, so wrappers that retry without it can tell
                    err.println(who + ": passt option '" + passt + "' is not supported by Sluice");
                    err.flush();
                    return 1;
                }
            }
        }
        err.println(who + ": " + ex.getMessage());
        err.flush();
        return 2;
    }

    /** Command mode: the namespace of the started command, and what Sluice waits on. */
    private String commandNetns;
    private Runnable onReady = () -> { };
    private java.util.concurrent.CompletableFuture<?> until = new java.util.concurrent.CompletableFuture<>();

    /** True when pasta is to run a command (or a shell) in a namespace of its own. */
    boolean commandMode() {
        return Personality.current() == Personality.PASTA && netns == null
                && !(positional.size() == 1 && positional.get(0).matches("[1-9][0-9]{0,9}"));
    }

    @Override
    public Integer call() throws Exception {
        if (printCapabilities) {
            System.out.println("{\"type\": \"net\"}"); // vhost-user.json's back-end convention
            return 0;
        }
        CommandMode cmd = null;
        if (commandMode()) {
            cmd = CommandMode.start(positional);
            commandNetns = cmd.netnsPath();
            onReady = cmd::go;
            until = cmd.exited();
        }
        try {
            int rcode = runConfigured();
            return cmd != null ? cmd.exitStatus(rcode) : rcode;
        } finally {
            if (cmd != null) {
                cmd.kill();
            }
        }
    }

    private int runConfigured() throws Exception {
        RunConfig rc = validate();
        if (rc.compat().background() && !dev.sluice.core.Background.isChild()) {
            return dev.sluice.core.Background.spawnAndWait(System.err);
        }
        dev.sluice.core.Background.prepare();
        Logging.configure(trace ? Logging.Level.TRACE : debug ? Logging.Level.DEBUG
                : quiet ? Logging.Level.WARN : Logging.Level.INFO, logFile);
        return Sluice.runUntilStopped(rc, runAs, validateControl());
    }

    private dev.sluice.core.control.ControlConfig validateControl() {
        Path sock = null;
        boolean on = !"none".equals(control);
        if (on && control != null) {
            if (control.isBlank()) {
                throw new UsageError("option '--control': empty path");
            }
            sock = Path.of(control);
            Path parent = sock.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageError("option '--control': directory " + parent + " does not exist");
            }
        }
        if (auditLog != null) {
            Path parent = auditLog.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageError("option '--audit-log': directory " + parent + " does not exist");
            }
        }
        return new dev.sluice.core.control.ControlConfig(sock, on, auditLog, metricsListen);
    }

    /** Cross-option checks that picocli's per-value converters cannot make. */
    RunConfig validate() {
        if (ipv4Only && ipv6Only) {
            throw new UsageError("options -4 and -6 are mutually exclusive");
        }
        if (vhostUser && netns != null) {
            throw new UsageError("option --vhost-user cannot be combined with --netns (tap mode)");
        }
        if (listPlugins) {
            return new RunConfig(null, false, null, null, false, null, null, -1, null, null, null, 0, mtu,
                    List.of(), false, List.of(), false, false, false, false, false, false, false, null, null,
                    resolvConf, FlowConfig.DEFAULT, validatePlugins());
        }
        Personality who = Personality.current();
        if (!positional.isEmpty() && who != Personality.PASTA) {
            throw new UsageError("unexpected argument '" + positional.get(0) + "' (a PID or COMMAND is pasta's: "
                    + "run as pasta)");
        }
        if (commandNetns == null && positional.size() == 1 && positional.get(0).matches("[1-9][0-9]{0,9}")) {
            pid = positional.get(0);
        }
        if (commandNetns != null) {
            if (netns != null) {
                throw new UsageError("a COMMAND and --netns both name a namespace: give one");
            }
            netns = commandNetns;
        }
        if (pid != null) {
            if (netns != null) {
                throw new UsageError("a PID and --netns both name a namespace: give one");
            }
            netns = "/proc/" + pid + "/ns/net";
        }

        if (netns == null && (!tcpNsPorts.stream().allMatch(p -> p.isNone())
                || !udpNsPorts.stream().allMatch(p -> p.isNone()))) {
            throw new UsageError("options --tcp-ns and --udp-ns need a namespace (tap mode)");
        }
        if (userns != null && (netns == null || userns.isBlank())) {
            throw new UsageError("option '--userns' needs a namespace (--netns or a PID)");
        }
        if (netns != null && (socket != null || oneOff)) {
            throw new UsageError("option --netns (tap mode) cannot be combined with --socket or --one-off (stream mode)");
        }
        if (netns == null && (configNet || nsIfName != null)) {
            throw new UsageError("options --config-net and --ns-ifname need --netns");
        }
        if (netns != null && netns.isBlank()) {
            throw new UsageError("option --netns: empty namespace");
        }
        InetAddress a4 = null;
        InetAddress a6 = null;
        for (InetAddress a : addresses) {
            if (a instanceof Inet4Address) {
                if (a4 != null) {
                    throw new UsageError("option '--address': more than one IPv4 address");
                }
                if (a.isMulticastAddress() || a.isAnyLocalAddress() || a.isLoopbackAddress()) {
                    throw new UsageError("option '--address': " + a.getHostAddress() + " cannot be a guest address");
                }
                a4 = a;
            } else {
                if (a6 != null) {
                    throw new UsageError("option '--address': more than one IPv6 address");
                }
                if (a.isMulticastAddress() || a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress()) {
                    throw new UsageError("option '--address': " + a.getHostAddress() + " cannot be a guest address");
                }
                a6 = a;
            }
        }
        InetAddress g4 = null;
        InetAddress g6 = null;
        for (InetAddress g : gateways) {
            if (g instanceof Inet4Address) {
                if (g4 != null) {
                    throw new UsageError("option '--gateway': more than one IPv4 gateway");
                }
                g4 = g;
            } else {
                if (g6 != null) {
                    throw new UsageError("option '--gateway': more than one IPv6 gateway");
                }
                g6 = g;
            }
        }
        int prefix4 = -1;
        if (netmask != null) {
            prefix4 = netmask;
        } else if (a4 != null) {
            // passt gives an -a address its classful mask; the guest would then
            // see most of 10/8 as on-link. Say so, as it surprises operators.
            prefix4 = classfulPrefix((Inet4Address) a4);
        }
        List<InetAddress> dnsAddrs = new ArrayList<>();
        boolean dnsNone = false;
        for (String d : dns) {
            if (d.trim().equalsIgnoreCase("none")) {
                dnsNone = true;
            } else {
                try {
                    dnsAddrs.add(Converters.parseAddress(d));
                } catch (CommandLine.TypeConversionException e) {
                    throw new UsageError("option '--dns': " + e.getMessage());
                }
            }
        }
        List<String> domains = new ArrayList<>();
        boolean searchNone = false;
        for (String s : search) {
            for (String part : s.split("[\\s,]+")) {
                if (part.isEmpty()) {
                    continue;
                }
                if (part.equalsIgnoreCase("none")) {
                    searchNone = true;
                } else if (!part.matches("[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\\.[A-Za-z0-9_][A-Za-z0-9_-]{0,62})*\\.?")
                        || part.length() > 253) {
                    throw new UsageError("option '--search': '" + part + "' is not a domain name");
                } else {
                    domains.add(part.toLowerCase(Locale.ROOT));
                }
            }
        }
        if (pcap != null) {
            Path parent = pcap.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageError("option '--pcap': directory " + parent + " does not exist");
            }
        }
        if (socket != null) {
            Path parent = socket.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UsageError("option '--socket': directory " + parent + " does not exist");
            }
        }
        StartupChecks.files(socket, pidFile, logFile); // never replace an operator's file
        return new RunConfig(socket, oneOff, netns, nsIfName, configNet, hostIf, a4, prefix4, a6, g4, g6,
                mac == null ? 0 : mac, mtu, dnsAddrs, dnsNone, domains, searchNone,
                noDhcp, noNdp, noDhcpv6, noRa, ipv4Only, ipv6Only, pcap, pidFile, resolvConf,
                validateFlows(), validatePlugins(), new dev.sluice.core.PasstCompat(hostname, fqdn,
                tcpNsPorts, udpNsPorts, who.backgroundByDefault() && !foreground && commandNetns == null,
                !noNetnsQuit, onReady, until, userns), vhostUser);
    }

    private FlowConfig validateFlows() {
        // The mapper's own parser judges the values now, so a typo fails at startup with exit 2.
        MappingConfig.Builder b = MappingConfig.builder();
        check("--map-host-loopback", mapHostLoopback, b::mapHostLoopback);
        check("--map-guest-addr", mapGuestAddr, b::mapGuestAddr);
        check("--dns-forward", dnsForward, b::dnsForward);
        check("--dns-host", dnsHost, b::dnsHost);
        boolean o4 = false;
        boolean o6 = false;
        for (InetAddress a : outbound) {
            boolean v4 = a instanceof Inet4Address;
            if (v4 ? o4 : o6) {
                throw new UsageError("option '--outbound': more than one " + (v4 ? "IPv4" : "IPv6") + " address");
            }
            o4 |= v4;
            o6 |= !v4;
        }
        return new FlowConfig(noTcp, noUdp, noIcmp, noMapGw, mapHostLoopback, mapGuestAddr, dnsForward, dnsHost,
                outbound, outboundIf4, outboundIf6, tcpPorts, udpPorts, maxFlows, flowRates);
    }

    private static void check(String option, List<String> values, java.util.function.Consumer<String> sink) {
        for (String v : values) {
            try {
                sink.accept(v.trim());
            } catch (IllegalArgumentException e) {
                throw new UsageError("option '" + option + "': " + e.getMessage());
            }
        }
    }

    private PluginConfig validatePlugins() {
        List<PluginSpec> specs = new ArrayList<>();
        for (String p : plugins) {
            try {
                specs.add(PluginSpec.parse(p));
            } catch (IllegalArgumentException e) {
                throw new UsageError("option '--plugin': " + e.getMessage());
            }
        }
        List<Path> dirs = new ArrayList<>();
        // --plugin-dir adds to the default directories; "none" drops them (write ./none for a directory so named).
        boolean noDefaults = pluginDirs.contains(Path.of("none"));
        if (!noDefaults) {
            String home = System.getProperty("sluice.home");
            if (home != null && Files.isDirectory(Path.of(home, "plugins"))) {
                dirs.add(Path.of(home, "plugins"));
            }
            String xdg = System.getenv("XDG_DATA_HOME");
            Path data = xdg != null && !xdg.isEmpty() ? Path.of(xdg)
                    : Path.of(System.getProperty("user.home", "/"), ".local", "share");
            if (Files.isDirectory(data.resolve("sluice/plugins"))) {
                dirs.add(data.resolve("sluice/plugins"));
            }
        }
        for (Path d : pluginDirs) {
            if (d.equals(Path.of("none"))) {
                continue;
            }
            if (!Files.isDirectory(d)) {
                throw new UsageError("option '--plugin-dir': " + d + " is not a directory");
            }
            dirs.add(d);
        }
        return new PluginConfig(specs, dirs, listPlugins, statsInterval);
    }

    static int classfulPrefix(Inet4Address a) {
        int first = a.getAddress()[0] & 0xff;
        if (first < 128) {
            return 8;
        }
        if (first < 192) {
            return 16;
        }
        return 24;
    }

    /** A cross-option error: reported like a bad value, exit 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String msg) {
            super(msg);
        }
    }

    /** Version from the jar manifest (set by the build). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SluiceCommand.class.getPackage().getImplementationVersion();
            String version = v != null ? v : "(development build)";
            Personality who = Personality.current();
            // passt and pasta say what they really are, so a bug report names the right project
            return new String[] {who == Personality.SLUICE ? "sluice " + version
                    : who.command() + " (Sluice " + version + ")"};
        }
    }

    static boolean isV6(InetAddress a) {
        return a instanceof Inet6Address;
    }
}
