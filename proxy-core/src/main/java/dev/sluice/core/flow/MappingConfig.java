package dev.sluice.core.flow;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of passt's built-in address translation, resolved per address
 * family (null everywhere means "no such mapping"). Build it from the command
 * line with {@link #builder()}, which applies passt's defaults; tests and
 * embedders may construct it directly.
 *
 * @param mapHostLoopback4 guest destination that reaches the host's 127.0.0.1 ({@code --map-host-loopback}, default the IPv4 gateway)
 * @param mapHostLoopback6 guest destination that reaches the host's ::1 (default the IPv6 gateway)
 * @param mapGuestAddr4    guest destination that reaches {@code hostAddr4} ({@code --map-guest-addr})
 * @param mapGuestAddr6    guest destination that reaches {@code hostAddr6}
 * @param hostAddr4        the host's own external IPv4 address
 * @param hostAddr6        the host's own external IPv6 address
 * @param dnsMatch4        guest destination whose TCP/UDP port 53 and 853 go to {@code dnsHost4} ({@code --dns-forward})
 * @param dnsMatch6        the same for IPv6
 * @param dnsHost4         where that DNS traffic goes ({@code --dns-host}, default the first IPv4 nameserver of resolv.conf)
 * @param dnsHost6         the same for IPv6
 */
public record MappingConfig(
        Inet4Address mapHostLoopback4, Inet6Address mapHostLoopback6,
        Inet4Address mapGuestAddr4, Inet6Address mapGuestAddr6,
        Inet4Address hostAddr4, Inet6Address hostAddr6,
        Inet4Address dnsMatch4, Inet6Address dnsMatch6,
        Inet4Address dnsHost4, Inet6Address dnsHost6) {

    /** No translation at all. */
    public static final MappingConfig NONE = new MappingConfig(null, null, null, null, null, null, null, null, null, null);

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The {@code nameserver} addresses of a resolv.conf file, in order. Scoped
     * (link-local with {@code %zone}) and malformed entries are skipped; a
     * missing file gives an empty list.
     */
    public static List<InetAddress> nameservers(Path resolvConf) throws IOException {
        List<InetAddress> out = new ArrayList<>();
        if (!Files.exists(resolvConf)) {
            return out;
        }
        for (String line : Files.readAllLines(resolvConf, StandardCharsets.UTF_8)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver") && f[1].indexOf('%') < 0) {
                try {
                    out.add(InetLiterals.unmap(InetLiterals.parse(f[1])));
                } catch (IllegalArgumentException e) {
                    // not an address: ignored, as the resolver library does
                }
            }
        }
        return out;
    }

    /**
     * Collects passt's options and applies its defaults in {@link #build()}:
     * <ul>
     *   <li>{@code --map-host-loopback} defaults to the gateway of each family;
     *       {@code none} or {@code --no-map-gw} disable it;</li>
     *   <li>{@code --map-guest-addr} defaults to none;</li>
     *   <li>{@code --dns-host} defaults to the first nameserver of the family;</li>
     *   <li>without {@code --dns-forward}, DNS to the host-loopback address goes
     *       to the resolver instead of to loopback when the resolver is a
     *       loopback address (reached that way only) or is that very address
     *       (the gateway that also resolves must not be shadowed).</li>
     * </ul>
     * Option setters throw IllegalArgumentException with a one-line message on bad input.
     */
    public static final class Builder {
        private Inet4Address gw4;
        private Inet6Address gw6;
        private Inet4Address host4;
        private Inet6Address host6;
        private List<InetAddress> resolvers = List.of();
        private boolean noMapGw;
        private boolean mapHostLoopbackNone;
        private Inet4Address mapHostLoopback4;
        private Inet6Address mapHostLoopback6;
        private boolean mapGuestAddrNone;
        private Inet4Address mapGuestAddr4;
        private Inet6Address mapGuestAddr6;
        private Inet4Address dnsForward4;
        private Inet6Address dnsForward6;
        private Inet4Address dnsHost4;
        private Inet6Address dnsHost6;

        private Builder() {
        }

        /** The gateways the guest is given (either may be null). */
        public Builder gateways(Inet4Address gw4, Inet6Address gw6) {
            this.gw4 = gw4;
            this.gw6 = gw6;
            return this;
        }

        /** The host's own external addresses, targets of {@code --map-guest-addr} (either may be null). */
        public Builder hostAddresses(Inet4Address a4, Inet6Address a6) {
            this.host4 = a4;
            this.host6 = a6;
            return this;
        }

        /** The host's resolvers in resolv.conf order (see {@link MappingConfig#nameservers}). */
        public Builder resolvers(List<? extends InetAddress> resolvers) {
            this.resolvers = List.copyOf(resolvers);
            return this;
        }

        /** {@code --no-map-gw}. */
        public Builder noMapGw(boolean noMapGw) {
            this.noMapGw = noMapGw;
            return this;
        }

        /** One {@code --map-host-loopback ADDR|none}; repeated calls: the last of each family wins. */
        public Builder mapHostLoopback(String value) {
            if (value.equals("none")) {
                mapHostLoopbackNone = true;
                return this;
            }
            InetAddress a = option("--map-host-loopback", value);
            if (a instanceof Inet4Address a4) {
                mapHostLoopback4 = a4;
            } else {
                mapHostLoopback6 = (Inet6Address) a;
            }
            return this;
        }

        /** One {@code --map-guest-addr ADDR|none}. */
        public Builder mapGuestAddr(String value) {
            if (value.equals("none")) {
                mapGuestAddrNone = true;
                return this;
            }
            InetAddress a = option("--map-guest-addr", value);
            if (a instanceof Inet4Address a4) {
                mapGuestAddr4 = a4;
            } else {
                mapGuestAddr6 = (Inet6Address) a;
            }
            return this;
        }

        /** One {@code --dns-forward ADDR} (once per family). */
        public Builder dnsForward(String value) {
            InetAddress a = option("--dns-forward", value);
            if (a instanceof Inet4Address a4) {
                dnsForward4 = a4;
            } else {
                dnsForward6 = (Inet6Address) a;
            }
            return this;
        }

        /** One {@code --dns-host ADDR} (once per family). */
        public Builder dnsHost(String value) {
            InetAddress a = option("--dns-host", value);
            if (a instanceof Inet4Address a4) {
                dnsHost4 = a4;
            } else {
                dnsHost6 = (Inet6Address) a;
            }
            return this;
        }

        private static InetAddress option(String name, String value) {
            try {
                InetAddress a = InetLiterals.unmap(InetLiterals.parse(value));
                if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
                    throw new IllegalArgumentException("unusable address");
                }
                return a;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": bad address '" + value + "'");
            }
        }

        public MappingConfig build() {
            boolean mapHost = !noMapGw && !mapHostLoopbackNone;
            Inet4Address hl4 = mapHost ? (mapHostLoopback4 != null ? mapHostLoopback4 : gw4) : null;
            Inet6Address hl6 = mapHost ? (mapHostLoopback6 != null ? mapHostLoopback6 : gw6) : null;
            Inet4Address mg4 = mapGuestAddrNone ? null : mapGuestAddr4;
            Inet6Address mg6 = mapGuestAddrNone ? null : mapGuestAddr6;

            Inet4Address res4 = null;
            Inet6Address res6 = null;
            boolean res4Loopback = false;
            boolean res6Loopback = false;
            boolean hl4IsResolver = false;
            boolean hl6IsResolver = false;
            for (InetAddress r : resolvers) {
                if (r instanceof Inet4Address r4) {
                    res4 = res4 == null ? r4 : res4;
                    res4Loopback |= r4.isLoopbackAddress();
                    hl4IsResolver |= r4.equals(hl4);
                } else if (r instanceof Inet6Address r6) {
                    res6 = res6 == null ? r6 : res6;
                    res6Loopback |= r6.isLoopbackAddress();
                    hl6IsResolver |= r6.equals(hl6);
                }
            }
            Inet4Address dh4 = dnsHost4 != null ? dnsHost4 : res4;
            Inet6Address dh6 = dnsHost6 != null ? dnsHost6 : res6;
            Inet4Address dm4 = dnsForward4;
            if (dm4 == null && hl4 != null && (res4Loopback || hl4IsResolver)) {
                dm4 = hl4;
            }
            Inet6Address dm6 = dnsForward6;
            if (dm6 == null && hl6 != null && (res6Loopback || hl6IsResolver)) {
                dm6 = hl6;
            }
            return new MappingConfig(hl4, hl6, mg4, mg6, host4, host6, dm4, dm6, dh4, dh6);
        }
    }
}
