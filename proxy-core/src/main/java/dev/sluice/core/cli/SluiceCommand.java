package dev.sluice.core.cli;

import dev.sluice.core.GuestConfig;
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
            description = "Stream mode: UNIX socket to listen on (default: a free /tmp/sluice_N.socket, printed)")
    Path socket;

    @Option(names = {"-1", "--one-off"}, description = "Stream mode: quit when the guest disconnects, instead of waiting for the next one")
    boolean oneOff;

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

    @Option(names = {"-f", "--foreground"}, description = "Accepted for passt compatibility: Sluice always runs in the foreground")
    boolean foreground;

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
        CommandLine cl = commandLine();
        return cl.execute(args);
    }

    /** The configured picocli model, also used to generate the man page and completion. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SluiceCommand());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExpandAtFiles(true);
        cl.setParameterExceptionHandler(SluiceCommand::onBadOption);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof UsageError u) {
                cmd.getErr().println("sluice: " + u.getMessage());
                return 2;
            }
            cmd.getErr().println("sluice: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        });
        return cl;
    }

    /** One line naming the option, exit 2, as operators of passt expect. */
    private static int onBadOption(ParameterException ex, String[] args) {
        PrintWriter err = ex.getCommandLine().getErr();
        err.println("sluice: " + ex.getMessage());
        err.flush();
        return 2;
    }

    @Override
    public Integer call() throws Exception {
        RunConfig rc = validate();
        Logging.configure(trace ? Logging.Level.TRACE : debug ? Logging.Level.DEBUG
                : quiet ? Logging.Level.WARN : Logging.Level.INFO, logFile);
        return Sluice.runUntilStopped(rc);
    }

    /** Cross-option checks that picocli's per-value converters cannot make. */
    RunConfig validate() {
        if (ipv4Only && ipv6Only) {
            throw new UsageError("options -4 and -6 are mutually exclusive");
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
        return new RunConfig(socket, oneOff, netns, nsIfName, configNet, hostIf, a4, prefix4, a6, g4, g6,
                mac == null ? 0 : mac, mtu, dnsAddrs, dnsNone, domains, searchNone,
                noDhcp, noNdp, noDhcpv6, noRa, ipv4Only, ipv6Only, pcap, pidFile, resolvConf);
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
            return new String[] {"sluice " + (v != null ? v : "(development build)")};
        }
    }

    static boolean isV6(InetAddress a) {
        return a instanceof Inet6Address;
    }
}
