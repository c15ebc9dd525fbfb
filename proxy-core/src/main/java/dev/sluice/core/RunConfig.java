package dev.sluice.core;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything the command line decided, validated and immutable: the runtime's
 * only input besides the host it runs on. Nulls mean "not given: use the
 * host's value / passt's default".
 *
 * @param socketPath   stream mode: the UNIX socket to listen on
 * @param oneOff       stream mode: exit when the first guest leaves
 * @param netns        tap mode: namespace path or name (null: stream mode)
 * @param nsIfName     tap mode: the tap's name in the namespace (null: the host interface's name)
 * @param configNet    tap mode: configure addresses, routes and MTU in the namespace
 * @param hostIfName   {@code -i}: the host interface to take addresses and routes from
 * @param address4     {@code -a} IPv4
 * @param prefix4      {@code -n}, or -1
 * @param address6     {@code -a} IPv6
 * @param gateway4     {@code -g} IPv4
 * @param gateway6     {@code -g} IPv6
 * @param guestMac     {@code -M}, or 0 to learn it
 * @param mtu          {@code -m}
 * @param dns          {@code -D} servers (empty: the host's; {@code dnsNone}: offer none)
 * @param dnsNone      {@code -D none}
 * @param search       {@code -S} domains (empty: the host's)
 * @param searchNone   {@code -S none}
 * @param ipv4Only     {@code -4}
 * @param ipv6Only     {@code -6}
 * @param pcap         {@code -p}
 * @param pidFile      {@code -P}
 * @param resolvConf   where to read the host's resolvers (normally /etc/resolv.conf)
 * @param flows        translation, mapping and forwarding options
 * @param plugins      the plugin chain and where plugins are found
 * @param compat       passt/pasta drop-in options (host name, -T/-U, background, namespace lifetime)
 * @param vhostUser    {@code --vhost-user}: be the vhost-user back-end on {@code socketPath} instead of a stream socket
 */
public record RunConfig(
        Path socketPath,
        boolean oneOff,
        String netns,
        String nsIfName,
        boolean configNet,
        String hostIfName,
        InetAddress address4,
        int prefix4,
        InetAddress address6,
        InetAddress gateway4,
        InetAddress gateway6,
        long guestMac,
        int mtu,
        List<InetAddress> dns,
        boolean dnsNone,
        List<String> search,
        boolean searchNone,
        boolean noDhcp,
        boolean noNdp,
        boolean noDhcpv6,
        boolean noRa,
        boolean ipv4Only,
        boolean ipv6Only,
        Path pcap,
        Path pidFile,
        Path resolvConf,
        FlowConfig flows,
        PluginConfig plugins,
        PasstCompat compat,
        boolean vhostUser) {

    /** Without passt/pasta drop-in options or {@code --vhost-user}. */
    public RunConfig(Path socketPath, boolean oneOff, String netns, String nsIfName, boolean configNet,
                     String hostIfName, InetAddress address4, int prefix4, InetAddress address6,
                     InetAddress gateway4, InetAddress gateway6, long guestMac, int mtu, List<InetAddress> dns,
                     boolean dnsNone, List<String> search, boolean searchNone, boolean noDhcp, boolean noNdp,
                     boolean noDhcpv6, boolean noRa, boolean ipv4Only, boolean ipv6Only, Path pcap, Path pidFile,
                     Path resolvConf, FlowConfig flows, PluginConfig plugins) {
        this(socketPath, oneOff, netns, nsIfName, configNet, hostIfName, address4, prefix4, address6, gateway4,
                gateway6, guestMac, mtu, dns, dnsNone, search, searchNone, noDhcp, noNdp, noDhcpv6, noRa, ipv4Only,
                ipv6Only, pcap, pidFile, resolvConf, flows, plugins, PasstCompat.NONE, false);
    }

    public RunConfig {
        compat = compat == null ? PasstCompat.NONE : compat;
        dns = List.copyOf(dns);
        search = List.copyOf(search);
    }

    public boolean tapMode() {
        return netns != null;
    }
}
