package dev.sluice.core.plugin;

import dev.sluice.api.GuestView;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The SPI's {@link GuestView} over the address plan and what was learned about
 * the guest. Prefix lengths and the SLAAC flag follow what the L2 services
 * really tell the guest: DHCP gives {@code prefix4}; router advertisements
 * (NDP and RA on) carry {@code addr6/prefix6}, autonomous only for a /64.
 */
final class CoreGuestView implements GuestView {
    private final GuestState state;
    private final Optional<Inet4Address> address4;
    private final Optional<Inet6Address> address6;
    private final Optional<Inet4Address> gateway4;
    private final Optional<Inet6Address> gateway6;
    private final List<InetAddress> assigned;
    private final int prefix4;
    private final int prefix6;
    private final boolean slaac;
    private volatile MacText mac = new MacText(0, Optional.empty());

    private record MacText(long mac, Optional<String> text) {
    }

    CoreGuestView(GuestConfig config, GuestState state) {
        this.state = state;
        this.address4 = config.ipv4() ? Optional.ofNullable(config.addr4()) : Optional.empty();
        this.address6 = config.ipv6() ? Optional.ofNullable(config.addr6()) : Optional.empty();
        this.gateway4 = config.ipv4() ? Optional.ofNullable(config.gw4()) : Optional.empty();
        this.gateway6 = config.ipv6() ? Optional.ofNullable(config.gw6()) : Optional.empty();
        List<InetAddress> a = new ArrayList<>(2);
        address4.ifPresent(a::add);
        address6.ifPresent(a::add);
        this.assigned = List.copyOf(a);
        this.prefix4 = address4.isPresent() ? config.prefix4() : 0;
        this.prefix6 = address6.isPresent() ? config.prefix6() : 0;
        // NdpResponder advertises the prefix autonomous only when it is a /64.
        this.slaac = address6.isPresent() && config.ndp() && config.ra() && config.prefix6() == 64;
    }

    @Override
    public Optional<Inet4Address> address4() {
        return address4;
    }

    @Override
    public Optional<Inet6Address> address6() {
        return address6;
    }

    @Override
    public Optional<Inet4Address> gateway4() {
        return gateway4;
    }

    @Override
    public Optional<Inet6Address> gateway6() {
        return gateway6;
    }

    @Override
    public List<InetAddress> assignedAddresses() {
        return assigned;
    }

    @Override
    public Optional<String> mac() {
        long now = state.mac();
        MacText m = mac;
        if (m.mac() != now) {
            // Formatted once per MAC change, not per call.
            m = new MacText(now, now == 0 ? Optional.empty() : Optional.of(format(now)));
            mac = m;
        }
        return m.text();
    }

    @Override
    public long macAsLong() {
        return state.mac();
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

    static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xff;
            if (shift != 40) {
                sb.append(':');
            }
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    @Override
    public Set<InetAddress> seenAddresses() {
        return state.seenAddresses();
    }
}
