package dev.sluice.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Derives the guest's {@link GuestConfig} from the options and the host,
 * with passt's defaults: the guest gets the host's address and gateway; a
 * family with no usable host address (and none given) is disabled with a
 * warning; loopback resolvers are not offered (the guest could not reach them).
 */
public final class AddressPlan {
    private static final Logger log = LoggerFactory.getLogger(AddressPlan.class);

    private AddressPlan() {
    }

    /** Thrown when neither family is usable: nothing to offer the guest. */
    public static final class NoUsableFamily extends Exception {
        NoUsableFamily(String msg) {
            super(msg);
        }
    }

    public static GuestConfig derive(RunConfig rc, HostFacts host) throws NoUsableFamily {
        int mtu = rc.mtu();

        boolean v4 = !rc.ipv6Only();
        Inet4Address addr4 = (Inet4Address) (rc.address4() != null ? rc.address4() : host.addr4());
        int prefix4 = rc.prefix4() >= 0 ? rc.prefix4() : host.prefix4();
        Inet4Address gw4 = (Inet4Address) (rc.gateway4() != null ? rc.gateway4() : host.gw4());
        if (v4 && (addr4 == null || gw4 == null)) {
            log.warn("IPv4 disabled: no {} (give -a/-g or pick an interface with -i)",
                    addr4 == null ? "IPv4 address on the host's outbound interface" : "IPv4 default gateway");
            v4 = false;
        }
        if (v4 && prefix4 <= 0) {
            prefix4 = 24;
        }

        boolean v6 = !rc.ipv4Only();
        Inet6Address addr6 = (Inet6Address) (rc.address6() != null ? rc.address6() : host.addr6());
        Inet6Address gw6 = (Inet6Address) (rc.gateway6() != null ? rc.gateway6() : host.gw6());
        if (v6 && (addr6 == null || gw6 == null)) {
            log.warn("IPv6 disabled: no {} (give -a/-g or pick an interface with -i)",
                    addr6 == null ? "global IPv6 address on the host's outbound interface" : "IPv6 default gateway");
            v6 = false;
        }
        if (v6 && mtu < 1280) {
            log.warn("IPv6 disabled: MTU {} is below IPv6's minimum of 1280", mtu);
            v6 = false;
        }
        if (!v4 && !v6) {
            throw new NoUsableFamily("no usable IPv4 or IPv6 configuration on the host: give addresses with -a and -g");
        }
        Inet6Address routerLl6 = null;
        if (v6) {
            // The router address the guest learns from RAs must be link-local;
            // reuse the host gateway's when it is one, so addresses look familiar.
            routerLl6 = gw6.isLinkLocalAddress() ? stripScope(gw6) : linkLocal("fe80::1");
        }

        List<Inet4Address> dns4 = new ArrayList<>();
        List<Inet6Address> dns6 = new ArrayList<>();
        if (!rc.dnsNone()) {
            List<InetAddress> src = rc.dns().isEmpty() ? host.nameservers() : rc.dns();
            for (InetAddress a : src) {
                if (rc.dns().isEmpty() && (a.isLoopbackAddress() || a.isLinkLocalAddress())) {
                    log.info("not offering the host's resolver {}: the guest cannot reach it there", a.getHostAddress());
                    continue;
                }
                if (a instanceof Inet4Address a4) {
                    dns4.add(a4);
                } else if (a instanceof Inet6Address a6) {
                    dns6.add(stripScope(a6));
                }
            }
        }
        List<String> search = rc.searchNone() ? List.of() : rc.search().isEmpty() ? host.search() : rc.search();

        return new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, rc.guestMac(), mtu,
                v4, v4 ? addr4 : null, v4 ? prefix4 : 0, v4 ? gw4 : null, v4 ? dns4 : List.of(),
                v6, v6 ? stripScope(addr6) : null, 64, v6 ? gw6 : null, routerLl6, v6 ? dns6 : List.of(),
                search, !rc.noDhcp() && v4, !rc.noNdp() && v6, !rc.noDhcpv6() && v6 && !rc.noNdp(),
                !rc.noRa() && !rc.noNdp() && v6, rc.compat().hostname(), rc.compat().fqdn());
    }

    private static Inet6Address stripScope(Inet6Address a) {
        try {
            return (Inet6Address) InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Inet6Address linkLocal(String s) {
        try {
            return (Inet6Address) InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
