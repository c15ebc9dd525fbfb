package dev.sluice.core.l2;

import dev.sluice.core.Counters.Counter;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv6Message;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.NdpMessages;
import dev.sluice.core.wire.NdpOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet6Address;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledFuture;

/**
 * Sluice as the guest's IPv6 neighbour and router (RFC 4861).
 *
 * <p>Neighbour solicitations for any target but the guest's own addresses get
 * an advertisement with Sluice's MAC (router, solicited and override flags
 * set), so the guest hands every packet to Sluice. Duplicate address detection
 * probes (source {@code ::}) are never answered: whatever address the guest
 * probes, it wants it for itself.
 *
 * <p>Router advertisements go out on a router solicitation, once when the
 * link comes up, and every few tens of seconds while it is up: source
 * {@code routerLl6}, M and O flags when DHCPv6 is on, the /64 of the guest's
 * address as on-link and autonomous prefix, the MTU, RDNSS and DNSSL, and our
 * link-layer address. The advertisement's ICMPv6 body never changes, so it is
 * built once.
 *
 * <p>Not here: redirects (ignored), MLD, on-link determination for anything
 * but the advertised prefix. {@code --no-ndp} turns all of it off, {@code --no-ra}
 * only the advertisements.
 */
public final class NdpResponder {
    private static final Logger log = LoggerFactory.getLogger(NdpResponder.class);

    /** Router lifetime: long enough to outlive a few missed periodic advertisements (RFC 4861 default). */
    static final int ROUTER_LIFETIME = 1800;
    /** RFC 4861's default prefix lifetimes (AdvValidLifetime, AdvPreferredLifetime). */
    static final long PREFIX_VALID_LIFETIME = 2_592_000;
    static final long PREFIX_PREFERRED_LIFETIME = 604_800;
    /** RDNSS/DNSSL lifetime: RFC 8106 asks for at least three advertisement intervals. */
    static final long DNS_LIFETIME = 1800;
    /** Periodic advertisements every 30 to 60 seconds, picked at random per link-up. */
    static final int PERIOD_MIN_SECONDS = 30;
    static final int PERIOD_JITTER_SECONDS = 30;
    private static final int CUR_HOP_LIMIT = 64;
    private static final int NDP_HOP_LIMIT = 255;
    private static final int NA_ICMP_LEN = NdpMessages.NA_OPTIONS + NdpOptions.LL_ADDR_LEN;
    private static final int HEADERS = EthernetFrame.HEADER_LEN + Ipv6Packet.HEADER_LEN;

    private final SluiceContext ctx;
    private final boolean enabled;
    private final boolean raEnabled;
    private final long ourMac;
    private final long routerHi;
    private final long routerLo;
    private final boolean hasGuestAddr;
    private final long guestHi;
    private final long guestLo;
    /** The RA's ICMPv6 message with a zero checksum, built once. */
    private final ByteBuf raBody;

    private final EthernetFrame ethOut = new EthernetFrame();
    private final Icmpv6Message icmp = new Icmpv6Message();
    private final NdpMessages ndp = new NdpMessages();
    private final NdpOptions opts = new NdpOptions();

    private final Counter bad;
    private final Counter badChecksum;
    private final Counter ignored;
    private final Counter dadIgnored;
    private final Counter disabled;
    private final Counter naSent;
    private final Counter raSent;

    private ScheduledFuture<?> periodic;

    public NdpResponder(SluiceContext ctx) {
        this.ctx = ctx;
        GuestConfig g = ctx.guest();
        this.enabled = g.ipv6() && g.ndp();
        this.raEnabled = enabled && g.ra();
        this.ourMac = g.ourMac();
        Inet6Address router = g.routerLl6();
        this.routerHi = router != null ? Addrs.hi(router) : Addrs.LINK_LOCAL_HI;
        this.routerLo = router != null ? Addrs.lo(router) : Addrs.eui64(ourMac);
        this.hasGuestAddr = g.addr6() != null;
        this.guestHi = Addrs.hi(g.addr6());
        this.guestLo = Addrs.lo(g.addr6());
        this.raBody = Unpooled.unreleasableBuffer(buildRaBody(g));
        var c = ctx.counters();
        this.bad = c.get("ndp.bad");
        this.badChecksum = c.get("ndp.bad_checksum");
        this.ignored = c.get("ndp.ignored");
        this.dadIgnored = c.get("ndp.dad_ignored");
        this.disabled = c.get("ndp.disabled");
        this.naSent = c.get("ndp.na_sent");
        this.raSent = c.get("ndp.ra_sent");
    }

    private ByteBuf buildRaBody(GuestConfig g) {
        byte[] dns = new byte[16 * g.dns6().size()];
        for (int i = 0; i < g.dns6().size(); i++) {
            System.arraycopy(g.dns6().get(i).getAddress(), 0, dns, 16 * i, 16);
        }
        byte[] search = DhcpMessage.encodeDomainNames(Addrs.validDomains(g.search()));
        boolean prefix = g.addr6() != null && g.prefix6() > 0 && g.prefix6() <= 128;
        boolean mtu = g.mtu() >= 1280;
        int len = NdpMessages.RA_OPTIONS
                + (prefix ? NdpOptions.PREFIX_INFO_LEN : 0)
                + (mtu ? NdpOptions.MTU_LEN : 0)
                + (dns.length > 0 ? NdpOptions.rdnssLength(g.dns6().size()) : 0)
                + (search.length > 0 ? NdpOptions.dnsslLength(search.length) : 0)
                + NdpOptions.LL_ADDR_LEN;
        ByteBuf b = Unpooled.buffer(len, len);
        int flags = g.dhcpv6() ? NdpMessages.RA_FLAG_MANAGED | NdpMessages.RA_FLAG_OTHER : 0;
        int p = NdpMessages.emitRouterAdvertisement(b, 0, CUR_HOP_LIMIT, flags, ROUTER_LIFETIME, 0, 0);
        if (prefix) {
            int plen = g.prefix6();
            // SLAAC needs a /64; other lengths are only announced as on-link
            int pflags = NdpOptions.PREFIX_FLAG_ON_LINK | (plen == 64 ? NdpOptions.PREFIX_FLAG_AUTONOMOUS : 0);
            p = NdpOptions.emitPrefixInfo(b, p, plen, pflags, PREFIX_VALID_LIFETIME, PREFIX_PREFERRED_LIFETIME,
                    Addrs.hi(g.addr6()) & Addrs.maskHi(plen), Addrs.lo(g.addr6()) & Addrs.maskLo(plen));
        }
        if (mtu) {
            p = NdpOptions.emitMtu(b, p, g.mtu());
        }
        if (dns.length > 0) {
            p = NdpOptions.emitRdnss(b, p, DNS_LIFETIME, dns);
        }
        if (search.length > 0) {
            p = NdpOptions.emitDnssl(b, p, DNS_LIFETIME, search);
        }
        p = NdpOptions.emitLinkLayerAddress(b, p, NdpOptions.TYPE_SOURCE_LL_ADDR, ourMac);
        b.writerIndex(p);
        return b;
    }

    /**
     * One NDP message (ICMPv6 types 133 to 137) from the guest: {@code ip}
     * wraps its IPv6 header, whose upper layer is ICMPv6.
     */
    public void onNdp(EthernetFrame eth, Ipv6Packet ip) {
        if (!enabled) {
            disabled.inc();
            return;
        }
        ByteBuf buf = ip.buffer();
        if (!icmp.wrap(buf, ip.upperLayerOffset(), ip.upperLayerLength())
                || !ndp.wrap(buf, ip.upperLayerOffset(), ip.upperLayerLength())) {
            bad.inc();
            return;
        }
        // RFC 4861 validity: hop limit 255 (it came from the link), code 0, sane options
        if (ip.hopLimit() != NDP_HOP_LIMIT || ndp.code() != 0
                || !opts.wrap(buf, ndp.optionsOffset(), ndp.optionsLength()) || !opts.validate()) {
            bad.inc();
            return;
        }
        if (!icmp.verifyChecksum(ip.pseudoHeaderSum())) {
            badChecksum.inc();
            return;
        }
        switch (ndp.type()) {
            case Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION:
                onNeighborSolicitation(eth, ip);
                break;
            case Icmpv6Message.TYPE_ROUTER_SOLICITATION:
                onRouterSolicitation(eth, ip);
                break;
            default:
                // the guest's own advertisements and redirects: nothing to answer
                ignored.inc();
        }
    }

    private void onNeighborSolicitation(EthernetFrame eth, Ipv6Packet ip) {
        long srcHi = ip.srcHi();
        long srcLo = ip.srcLo();
        long tHi = ndp.targetHi();
        long tLo = ndp.targetLo();
        if (Addrs.isMulticast(tHi)) {
            bad.inc();
            return;
        }
        if (srcHi == 0 && srcLo == 0) {
            // DAD: the guest probes an address it wants; any answer would take it away
            dadIgnored.inc();
            return;
        }
        if (isGuestAddress(tHi, tLo) || (tHi == srcHi && tLo == srcLo)) {
            ignored.inc();
            return;
        }
        int slla = opts.find(NdpOptions.TYPE_SOURCE_LL_ADDR);
        long dstMac = eth.src();
        if (slla >= 0) {
            opts.moveTo(slla);
            long m = opts.linkLayerAddress();
            if (m > 0) {
                dstMac = m;
            }
        }
        ByteBuf out = ctx.alloc().directBuffer(HEADERS + NA_ICMP_LEN);
        EthernetFrame.emit(out, 0, dstMac, ourMac, EthernetFrame.TYPE_IPV6);
        int ipOff = EthernetFrame.HEADER_LEN;
        // the answer comes from the address asked about, as a neighbour owning it would send it
        Ipv6Packet.emit(out, ipOff, tHi, tLo, srcHi, srcLo, Ipv6Packet.NH_ICMPV6, NA_ICMP_LEN, NDP_HOP_LIMIT);
        int p = NdpMessages.emitNeighborAdvertisement(out, HEADERS,
                NdpMessages.NA_FLAG_ROUTER | NdpMessages.NA_FLAG_SOLICITED | NdpMessages.NA_FLAG_OVERRIDE, tHi, tLo);
        NdpOptions.emitLinkLayerAddress(out, p, NdpOptions.TYPE_TARGET_LL_ADDR, ourMac);
        Icmpv6Message.fillChecksum(out, ipOff, HEADERS, NA_ICMP_LEN);
        out.writerIndex(HEADERS + NA_ICMP_LEN);
        ctx.link().send(out);
        naSent.inc();
    }

    private boolean isGuestAddress(long hi, long lo) {
        if (hasGuestAddr && hi == guestHi && lo == guestLo) {
            return true;
        }
        long mac = ctx.guestState().mac();
        return mac != 0 && hi == Addrs.LINK_LOCAL_HI && lo == Addrs.eui64(mac);
    }

    private void onRouterSolicitation(EthernetFrame eth, Ipv6Packet ip) {
        if (!raEnabled) {
            ignored.inc();
            return;
        }
        long srcHi = ip.srcHi();
        long srcLo = ip.srcLo();
        boolean unspecified = srcHi == 0 && srcLo == 0;
        int slla = opts.find(NdpOptions.TYPE_SOURCE_LL_ADDR);
        if (unspecified && slla >= 0) {
            bad.inc(); // RFC 4861 6.1.1: no link-layer address without a source address
            return;
        }
        long dstMac = eth.src();
        if (slla >= 0) {
            opts.moveTo(slla);
            long m = opts.linkLayerAddress();
            if (m > 0) {
                dstMac = m;
            }
        }
        // answer the soliciting address directly; a solicitation from :: gets the multicast form
        if (unspecified) {
            sendRa(Addrs.ALL_NODES_MAC, Addrs.ALL_NODES_HI, Addrs.ALL_NODES_LO);
        } else {
            sendRa(dstMac, srcHi, srcLo);
        }
    }

    private void sendRa(long dstMac, long dstHi, long dstLo) {
        int len = raBody.readableBytes();
        ByteBuf out = ctx.alloc().directBuffer(HEADERS + len);
        EthernetFrame.emit(out, 0, dstMac, ourMac, EthernetFrame.TYPE_IPV6);
        int ipOff = EthernetFrame.HEADER_LEN;
        Ipv6Packet.emit(out, ipOff, routerHi, routerLo, dstHi, dstLo, Ipv6Packet.NH_ICMPV6, len, NDP_HOP_LIMIT);
        out.setBytes(HEADERS, raBody, 0, len);
        Icmpv6Message.fillChecksum(out, ipOff, HEADERS, len);
        out.writerIndex(HEADERS + len);
        ctx.link().send(out);
        raSent.inc();
    }

    /**
     * Sends an unsolicited advertisement to all nodes and flushes it (for
     * timers, outside a read batch). Does nothing with RAs off or the link down.
     */
    public void sendUnsolicitedRa() {
        if (!raEnabled || !ctx.link().isUp()) {
            return;
        }
        sendRa(Addrs.ALL_NODES_MAC, Addrs.ALL_NODES_HI, Addrs.ALL_NODES_LO);
        ctx.link().flush();
    }

    /** The guest attached: advertise now, then periodically until {@link #onLinkDown()}. Event loop only. */
    public void onLinkUp() {
        if (!raEnabled) {
            return;
        }
        sendUnsolicitedRa();
        if (periodic == null) {
            long period = PERIOD_MIN_SECONDS + ThreadLocalRandom.current().nextInt(PERIOD_JITTER_SECONDS + 1);
            periodic = ctx.loop().scheduleAtFixedRate(this::sendUnsolicitedRa, period, period, TimeUnit.SECONDS);
            log.debug("NDP: router advertisements every {} s", period);
        }
    }

    /** The guest went away: stop advertising. Event loop only. */
    public void onLinkDown() {
        if (periodic != null) {
            periodic.cancel(false);
            periodic = null;
        }
    }

    /** Stops the periodic advertisements for good (shutdown). */
    public void close() {
        onLinkDown();
    }
}
