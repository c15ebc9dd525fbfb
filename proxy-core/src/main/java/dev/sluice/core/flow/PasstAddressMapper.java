package dev.sluice.core.flow;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * passt's address translation (its {@code fwd_nat_from_tap} and
 * {@code fwd_nat_from_host}), in this order of precedence for a guest flow:
 * DNS to the {@code --dns-forward} address goes to the resolver, the
 * {@code --map-host-loopback} address goes to loopback, the
 * {@code --map-guest-addr} address goes to the host's external address;
 * anything else is left alone. Called once per new flow, never per packet.
 */
public final class PasstAddressMapper implements AddressMapper {
    private static final Inet4Address LOOPBACK4 = (Inet4Address) literal(new byte[] {127, 0, 0, 1});
    private static final Inet6Address LOOPBACK6 =
            (Inet6Address) literal(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    private final MappingConfig cfg;

    public PasstAddressMapper(MappingConfig cfg) {
        this.cfg = cfg;
    }

    public MappingConfig config() {
        return cfg;
    }

    @Override
    public InetAddress outboundDestination(InetAddress dst, int port, FlowProtocol proto) {
        boolean dns = (proto == FlowProtocol.TCP || proto == FlowProtocol.UDP) && (port == 53 || port == 853);
        if (dst instanceof Inet4Address) {
            if (dns && cfg.dnsHost4() != null && dst.equals(cfg.dnsMatch4())) {
                return cfg.dnsHost4();
            }
            if (dst.equals(cfg.mapHostLoopback4())) {
                return LOOPBACK4;
            }
            if (cfg.hostAddr4() != null && dst.equals(cfg.mapGuestAddr4())) {
                return cfg.hostAddr4();
            }
        } else if (dst instanceof Inet6Address) {
            // Inet6Address.equals ignores the scope: fe80::1 from the wire matches a configured fe80::1.
            if (dns && cfg.dnsHost6() != null && dst.equals(cfg.dnsMatch6())) {
                return cfg.dnsHost6();
            }
            if (dst.equals(cfg.mapHostLoopback6())) {
                return LOOPBACK6;
            }
            if (cfg.hostAddr6() != null && dst.equals(cfg.mapGuestAddr6())) {
                return cfg.hostAddr6();
            }
        }
        return dst;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Returns null for a loopback peer when no host-loopback address is
     * mapped ({@code --no-map-gw}): the guest could not answer it, so passt
     * drops such traffic and callers must too. The host's external address
     * appears as the {@code --map-guest-addr} address when one is set.
     */
    @Override
    public InetAddress guestVisibleSource(InetAddress hostPeer) {
        InetAddress p = InetLiterals.unmap(hostPeer);
        if (p.isLoopbackAddress()) {
            return p instanceof Inet4Address ? cfg.mapHostLoopback4() : cfg.mapHostLoopback6();
        }
        if (p instanceof Inet4Address) {
            if (cfg.mapGuestAddr4() != null && p.equals(cfg.hostAddr4())) {
                return cfg.mapGuestAddr4();
            }
        } else if (cfg.mapGuestAddr6() != null && p.equals(cfg.hostAddr6())) {
            return cfg.mapGuestAddr6();
        }
        return p;
    }

    private static InetAddress literal(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
