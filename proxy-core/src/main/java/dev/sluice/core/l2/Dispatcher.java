package dev.sluice.core.l2;

import dev.sluice.core.Counters;
import dev.sluice.core.Counters.Counter;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.flow.L4Handler;
import dev.sluice.core.link.FrameHandler;
import dev.sluice.core.wire.Dhcpv6Message;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv6Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest's frames enter here: Ethernet is checked, the optional
 * {@link FrameGate} (plugins' frame checks) is asked about the source MAC,
 * the guest's MAC is learned, and each frame goes to the ARP, NDP, DHCP or DHCPv6 responder or,
 * with validated IP headers, to the TCP, UDP or ICMP handler of the flow
 * layer. Whatever cannot be handled is dropped and counted, never thrown.
 *
 * <p>Dropped here: 802.1Q/802.1ad tagged frames, frames for another unicast
 * MAC, unknown ethertypes, IPv4 with a bad header checksum, fragments of
 * either family (Sluice does not reassemble; guests use path MTU discovery),
 * multicast and broadcast IP beyond DHCP and NDP (nothing on the host side
 * would take it), MLD, and whatever a disabled service or a missing
 * handler would have taken.
 *
 * <p>MAC learning: the guest's MAC is taken from {@code -M}, or else from the
 * source of the first unicast frame (not Sluice's own MAC). A later frame
 * from another unicast MAC is taken for a new guest on the link (a restarted
 * QEMU) and its MAC replaces the old one, unless the frame gate refused it:
 * frames the gate drops are never learned from, so a gate that admits only
 * the first MAC keeps the learned MAC the first one.
 *
 * <p>View objects are owned by the dispatcher and reused; nothing is
 * allocated per frame. Event loop only.
 */
public final class Dispatcher implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final int DHCP_SERVER_PORT = 67;

    private final GuestConfig cfg;
    private final SluiceContext ctx;
    private final ArpResponder arp;
    private final NdpResponder ndp;
    private final DhcpServer dhcp;
    private final Dhcpv6Server dhcpv6;
    private final boolean macFixed;
    private final long ourMac;
    private final int addr4;
    private final int mask4;
    private long learnedMac;
    private FrameGate frameGate;
    /** The next valid unicast source is taken as the guest's: the link was (re)connected. */
    private boolean relearn;
    /** Frames from the learned MAC so far, and at the last silence check (see {@link #acceptNewSource}). */
    private int learnedFrames;
    private int checkedFrames;
    private long checkedAtNs;
    private boolean checked;
    /** How long the learned MAC must stay silent before another source may replace it; tests shorten it. */
    long relearnAfterSilenceNs = LogLimiter.DEFAULT_INTERVAL_NS;
    private final LogLimiter learnLog = new LogLimiter();
    private final LogLimiter foreignLog = new LogLimiter();
    private final LogLimiter errorLog = new LogLimiter();

    private L4Handler tcp;
    private L4Handler udp;
    private L4Handler icmp4;
    private L4Handler icmp6;

    private final EthernetFrame eth = new EthernetFrame();
    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final UdpDatagram udpView = new UdpDatagram();
    private final Icmpv6Message icmp6View = new Icmpv6Message();

    private final Counter ethBad;
    private final Counter ethFiltered;
    private final Counter foreignMac;
    private final Counter errors;
    private final Counter vlanDropped;
    private final Counter notForUs;
    private final Counter unknownType;
    private final Counter ip4Disabled;
    private final Counter ip4Bad;
    private final Counter ip4BadChecksum;
    /** The link's flags for the frame being dispatched ({@link FrameHandler#RX_CSUM_VALID}). */
    private int rxFlags;
    private final Counter ip4Fragment;
    private final Counter ip4Broadcast;
    private final Counter ip4Proto;
    private final Counter ip6Disabled;
    private final Counter ip6Bad;
    private final Counter ip6Fragment;
    private final Counter ip6Multicast;
    private final Counter ip6Proto;
    private final Counter icmp6Bad;
    private final Counter mld;
    private final Counter dhcpOff;
    private final Counter dhcpv6Off;
    private final Counter udpBad;
    private final Counter l4Unhandled;

    /** A dispatcher with its own responders. */
    public Dispatcher(SluiceContext ctx) {
        this(ctx, new ArpResponder(ctx), new NdpResponder(ctx), new DhcpServer(ctx), new Dhcpv6Server(ctx));
    }

    public Dispatcher(SluiceContext ctx, ArpResponder arp, NdpResponder ndp, DhcpServer dhcp, Dhcpv6Server dhcpv6) {
        this.ctx = ctx;
        this.cfg = ctx.guest();
        this.arp = arp;
        this.ndp = ndp;
        this.dhcp = dhcp;
        this.dhcpv6 = dhcpv6;
        this.macFixed = cfg.guestMac() != 0;
        this.learnedMac = ctx.guestState().mac();
        this.ourMac = cfg.ourMac();
        this.addr4 = Addrs.v4(cfg.addr4());
        this.mask4 = Addrs.mask4(cfg.prefix4());
        Counters c = ctx.counters();
        this.ethBad = c.get("eth.bad");
        this.ethFiltered = c.get("eth.filtered");
        this.foreignMac = c.get("eth.foreign_mac");
        this.errors = c.get("eth.errors");
        this.vlanDropped = c.get("eth.vlan_dropped");
        this.notForUs = c.get("eth.not_for_us");
        this.unknownType = c.get("eth.unknown_type");
        this.ip4Disabled = c.get("ip4.disabled");
        this.ip4Bad = c.get("ip4.bad");
        this.ip4BadChecksum = c.get("ip4.bad_checksum");
        this.ip4Fragment = c.get("ip4.fragment_dropped");
        this.ip4Broadcast = c.get("ip4.broadcast_dropped");
        this.ip4Proto = c.get("ip4.proto_unsupported");
        this.ip6Disabled = c.get("ip6.disabled");
        this.ip6Bad = c.get("ip6.bad");
        this.ip6Fragment = c.get("ip6.fragment_dropped");
        this.ip6Multicast = c.get("ip6.multicast_dropped");
        this.ip6Proto = c.get("ip6.proto_unsupported");
        this.icmp6Bad = c.get("icmp6.bad");
        this.mld = c.get("icmp6.mld_ignored");
        this.dhcpOff = c.get("dhcp.disabled");
        this.dhcpv6Off = c.get("dhcpv6.disabled");
        this.udpBad = c.get("udp.bad");
        this.l4Unhandled = c.get("l4.unhandled");
    }

    /** Plugs in the flow layer's TCP handler; null drops TCP (counted). Set before frames flow, or on the loop. */
    public void setTcp(L4Handler h) {
        this.tcp = h;
    }

    public void setUdp(L4Handler h) {
        this.udp = h;
    }

    public void setIcmp4(L4Handler h) {
        this.icmp4 = h;
    }

    public void setIcmp6(L4Handler h) {
        this.icmp6 = h;
    }

    /**
     * Installs the check every guest frame's source MAC must pass before
     * anything else happens to the frame; null (the default) checks nothing.
     * Set before frames flow, or on the loop.
     */
    public void setFrameFilter(FrameGate gate) {
        this.frameGate = gate;
    }

    public NdpResponder ndp() {
        return ndp;
    }

    /** Stops the periodic router advertisements (shutdown). Event loop only. */
    public void close() {
        ndp.close();
    }

    @Override
    public void onLinkUp() {
        ndp.onLinkUp();
    }

    @Override
    public void onLinkDown() {
        ndp.onLinkDown();
        relearn = true; // the next guest on the link may have another MAC
    }

    @Override
    public void onFrame(ByteBuf frame) {
        onFrame(frame, 0);
    }

    @Override
    public void onFrame(ByteBuf frame, int flags) {
        rxFlags = flags; // read once by the L4 hand-off below; the loop is single-threaded
        try {
            dispatch(frame);
        } catch (RuntimeException e) {
            // the last line before the link's read loop (and netty's selector): count, log a sample, go on
            errors.inc();
            if (errorLog.allow()) {
                log.warn("error handling a guest frame (counted in eth.errors; {} more since the last line)",
                        errorLog.suppressed(), e);
            }
        }
    }

    private void dispatch(ByteBuf frame) {
        if (!eth.wrap(frame, frame.readerIndex(), frame.readableBytes())) {
            ethBad.inc();
            return;
        }
        long src = eth.src();
        FrameGate gate = frameGate;
        if (gate != null && !gate.acceptSourceMac(src)) {
            ethFiltered.inc();
            return;
        }
        if (eth.isVlanTagged()) {
            vlanDropped.inc();
            return;
        }
        if (src == learnedMac && !relearn) {
            learnedFrames++;
        } else if (!acceptNewSource(src)) {
            foreignMac.inc();
            return;
        }
        if (!eth.isBroadcastOrMulticast() && eth.dst() != ourMac) {
            notForUs.inc();
            return;
        }
        switch (eth.etherType()) {
            case EthernetFrame.TYPE_ARP:
                if (!cfg.ipv4()) {
                    ip4Disabled.inc();
                    return;
                }
                arp.onArp(eth);
                break;
            case EthernetFrame.TYPE_IPV4:
                onIpv4(frame);
                break;
            case EthernetFrame.TYPE_IPV6:
                onIpv6(frame);
                break;
            default:
                unknownType.inc();
        }
    }

    /**
     * A frame from a source that is not the guest's MAC. The guest's MAC is
     * learned once: from the first valid unicast source (unless {@code -M}
     * fixed it), again from the first one after the link reconnects, and
     * otherwise only when a new source keeps sending for 10 s or more while
     * the learned MAC sends nothing (a tap whose MAC the guest changed).
     * Clock reads happen on foreign frames only. Every other frame from
     * another source is dropped and counted ({@code eth.foreign_mac}).
     * Frames every plugin hook accepted only: with guest-addr's
     * {@code mac=enforce} the first MAC stays the guest's for good.
     */
    private boolean acceptNewSource(long src) {
        if (src == 0 || src == ourMac || Mac.isMulticast(src) || macFixed) {
            logForeign(src);
            return false;
        }
        boolean adopt = learnedMac == 0 || relearn;
        if (!adopt) {
            long now = System.nanoTime();
            if (!checked || now - checkedAtNs >= relearnAfterSilenceNs) {
                adopt = checked && learnedFrames == checkedFrames; // the learned MAC was silent since the last check
                checked = true;
                checkedAtNs = now;
                checkedFrames = learnedFrames;
            }
        }
        if (!adopt) {
            logForeign(src);
            return false;
        }
        long old = learnedMac;
        learnedMac = src;
        relearn = false;
        checked = false;
        learnedFrames++;
        ctx.guestState().learnMac(src);
        if (learnLog.allow()) {
            log.info("guest MAC address: {}{}", Mac.format(src), old == 0 || old == src ? ""
                    : " (was " + Mac.format(old) + ")");
        }
        return true;
    }

    private void logForeign(long src) {
        if (foreignLog.allow()) {
            log.info("dropping frames from {}: not the guest's MAC {} (counted in eth.foreign_mac; {} more since "
                    + "the last line)", Mac.format(src), learnedMac == 0 ? "(none yet)" : Mac.format(learnedMac),
                    foreignLog.suppressed());
        }
    }

    private void onIpv4(ByteBuf frame) {
        if (!cfg.ipv4()) {
            ip4Disabled.inc();
            return;
        }
        if (!ip4.wrap(frame, eth.payloadOffset(), eth.payloadLength())) {
            ip4Bad.inc();
            return;
        }
        if (!ip4.verifyChecksum()) {
            ip4BadChecksum.inc();
            return;
        }
        if (ip4.isFragment()) {
            ip4Fragment.inc();
            return;
        }
        int proto = ip4.protocol();
        int l4Off = ip4.payloadOffset();
        int l4Len = ip4.payloadLength();
        if (proto == Ipv4Packet.PROTO_UDP && l4Len >= UdpDatagram.HEADER_LEN
                && frame.getUnsignedShort(l4Off + UdpDatagram.DST_PORT) == DHCP_SERVER_PORT) {
            if (cfg.dhcp()) {
                if (!udpView.wrap(frame, l4Off, l4Len)) {
                    udpBad.inc();
                    return;
                }
                dhcp.onDhcp(eth, ip4, udpView);
                return;
            }
            if (ip4.dst() == -1) {
                dhcpOff.inc();
                return;
            }
            // a unicast datagram to port 67 may be meant for a real server out there: on to UDP
        }
        int dst = ip4.dst();
        if ((dst >>> 28) == 0xe || dst == -1
                || (mask4 != -1 && mask4 != -2 && addr4 != 0
                    && (dst & mask4) == (addr4 & mask4) && (dst | mask4) == -1)) {
            ip4Broadcast.inc();
            return;
        }
        L4Handler h;
        switch (proto) {
            case Ipv4Packet.PROTO_TCP:
                h = tcp;
                break;
            case Ipv4Packet.PROTO_UDP:
                h = udp;
                break;
            case Ipv4Packet.PROTO_ICMP:
                h = icmp4;
                break;
            default:
                ip4Proto.inc();
                return;
        }
        if (h == null) {
            l4Unhandled.inc();
            return;
        }
        h.onPacket(frame, ip4.offset(), false, l4Off, l4Len, rxFlags);
    }

    private void onIpv6(ByteBuf frame) {
        if (!cfg.ipv6()) {
            ip6Disabled.inc();
            return;
        }
        if (!ip6.wrap(frame, eth.payloadOffset(), eth.payloadLength())) {
            ip6Bad.inc();
            return;
        }
        int proto = ip6.upperLayer();
        int l4Off = ip6.upperLayerOffset();
        int l4Len = ip6.upperLayerLength();
        boolean multicast = (ip6.dstHi() >>> 56) == 0xff;
        L4Handler h;
        switch (proto) {
            case Ipv6Packet.NH_FRAGMENT:
                ip6Fragment.inc();
                return;
            case Ipv6Packet.NH_ICMPV6:
                if (!icmp6View.wrap(frame, l4Off, l4Len)) {
                    icmp6Bad.inc();
                    return;
                }
                if (icmp6View.isNdp()) {
                    ndp.onNdp(eth, ip6); // counts and drops by itself when NDP is off
                    return;
                }
                if (icmp6View.isMld()) {
                    mld.inc();
                    return;
                }
                h = icmp6;
                break;
            case Ipv6Packet.NH_UDP:
                if (l4Len >= UdpDatagram.HEADER_LEN
                        && frame.getUnsignedShort(l4Off + UdpDatagram.DST_PORT) == Dhcpv6Message.SERVER_PORT) {
                    if (cfg.dhcpv6()) {
                        if (!udpView.wrap(frame, l4Off, l4Len)) {
                            udpBad.inc();
                            return;
                        }
                        dhcpv6.onDhcpv6(eth, ip6, udpView);
                        return;
                    }
                    if (multicast) {
                        dhcpv6Off.inc();
                        return;
                    }
                }
                h = udp;
                break;
            case Ipv6Packet.NH_TCP:
                h = tcp;
                break;
            default:
                ip6Proto.inc();
                return;
        }
        if (multicast) {
            ip6Multicast.inc();
            return;
        }
        if (h == null) {
            l4Unhandled.inc();
            return;
        }
        h.onPacket(frame, ip6.offset(), true, l4Off, l4Len, rxFlags);
    }
}
