package dev.sluice.core.l2;

import dev.sluice.core.Counters.Counter;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A DHCPv4 server for exactly one client and one address (RFC 2131): the
 * guest always gets {@code addr4}, with Sluice at {@code gw4} as router,
 * server and (usually) DNS. Like passt, the lease is infinite: there is no
 * pool and nothing to reclaim, so nothing is remembered between messages.
 *
 * <p>DISCOVER gets an OFFER, REQUEST an ACK (a NAK when the address asked
 * for, or the one in {@code ciaddr}, is not the guest's; silence when the
 * client chose another server), INFORM an ACK with configuration only.
 * DECLINE and RELEASE change nothing and are only counted. Replies go to the
 * guest's MAC; their IP destination follows RFC 2131 4.1 (broadcast when the
 * client asks for it or for a NAK, else {@code ciaddr} or the offered address).
 *
 * <p>Not here: relays (giaddr is echoed, never used), option overload,
 * static host entries, more than one client.
 */
public final class DhcpServer {
    private static final Logger log = LoggerFactory.getLogger(DhcpServer.class);

    static final int SERVER_PORT = 67;
    static final int CLIENT_PORT = 68;
    /** passt's lease: effectively infinite, the address never changes. */
    static final int LEASE_INFINITE = 0xffffffff;
    private static final int BROADCAST = 0xffffffff;
    private static final int TTL = 64;
    private static final int HEADERS = EthernetFrame.HEADER_LEN + Ipv4Packet.MIN_HEADER_LEN + UdpDatagram.HEADER_LEN;
    /** RFC 2131: every client accepts 576-byte datagrams; option 57 may allow more. */
    private static final int MIN_MAX_MESSAGE = 576;
    private static final byte[] NAK_MESSAGE = "requested address is not the guest's".getBytes(StandardCharsets.US_ASCII);

    private final SluiceContext ctx;
    private final long ourMac;
    private final int addr;
    private final int mask;
    private final int server;
    private final int[] dns;
    private final byte[] domainName;
    private final byte[] searchList;
    private final byte[] hostname;
    /** Option 81's data: flags, two RCODEs, the name in wire format; empty without --fqdn. */
    private final byte[] fqdn;
    private final int mtu;
    /** Fixed options of an OFFER/ACK before the search options, without the client id echo. */
    private final int baseOptionsLen;

    private final DhcpMessage msg = new DhcpMessage();
    private int ident;
    private boolean declineLogged;

    private final Counter bad;
    private final Counter badChecksum;
    private final Counter ignored;
    private final Counter offers;
    private final Counter acks;
    private final Counter naks;
    private final Counter informs;

    public DhcpServer(SluiceContext ctx) {
        this.ctx = ctx;
        GuestConfig g = ctx.guest();
        this.ourMac = g.ourMac();
        this.addr = Addrs.v4(g.addr4());
        this.mask = Addrs.mask4(g.prefix4());
        this.server = Addrs.v4(g.gw4());
        this.dns = new int[g.dns4().size()];
        for (int i = 0; i < dns.length; i++) {
            dns[i] = Addrs.v4(g.dns4().get(i));
        }
        List<String> search = Addrs.validDomains(g.search());
        this.searchList = DhcpMessage.encodeDomainNames(search);
        this.domainName = search.isEmpty() ? new byte[0] : search.get(0).getBytes(StandardCharsets.US_ASCII);
        this.hostname = g.hostname() == null ? new byte[0] : g.hostname().getBytes(StandardCharsets.US_ASCII);
        this.fqdn = g.fqdn() == null ? new byte[0] : fqdnOption(g.fqdn());
        // option 26 is 16 bits and at least 68 (RFC 2132)
        this.mtu = g.mtu() >= 68 && g.mtu() <= 0xffff ? g.mtu() : 0;
        this.baseOptionsLen = 3 + 6 + 6 + 6 + 6 + (dns.length > 0 ? 2 + 4 * dns.length : 0) + (mtu != 0 ? 4 : 0) + 1;
        var c = ctx.counters();
        this.bad = c.get("dhcp.bad");
        this.badChecksum = c.get("dhcp.bad_checksum");
        this.ignored = c.get("dhcp.ignored");
        this.offers = c.get("dhcp.offer");
        this.acks = c.get("dhcp.ack");
        this.naks = c.get("dhcp.nak");
        this.informs = c.get("dhcp.inform");
    }

    /**
     * RFC 4702 option 81 as a server sends it: flags with only E set (the name is in
     * wire format; S clear: Sluice updates no DNS), both RCODEs 255 as section 3.2 asks.
     */
    static byte[] fqdnOption(String name) {
        byte[] wire = DhcpMessage.encodeDomainNames(List.of(name));
        byte[] out = new byte[3 + wire.length];
        out[0] = 0x04;
        out[1] = (byte) 255;
        out[2] = (byte) 255;
        System.arraycopy(wire, 0, out, 3, wire.length);
        return out;
    }

    /**
     * One UDP datagram to port 67 from the guest: {@code ip} and {@code udp}
     * wrap its headers (the dispatcher checked the IPv4 header and checksum).
     */
    public void onDhcp(EthernetFrame eth, Ipv4Packet ip, UdpDatagram udp) {
        if (!udp.verifyChecksum(ip.pseudoHeaderSum(), false)) {
            badChecksum.inc();
            return;
        }
        if (!msg.wrap(ip.buffer(), udp.payloadOffset(), udp.payloadLength()) || !msg.optionsValid()) {
            bad.inc();
            return;
        }
        if (msg.op() != DhcpMessage.OP_REQUEST || msg.hardwareType() != DhcpMessage.HTYPE_ETHERNET
                || msg.hardwareLength() != 6) {
            bad.inc();
            return;
        }
        int type = msg.messageType();
        switch (type) {
            case DhcpMessage.DHCPDISCOVER:
                if (addr == 0) {
                    ignored.inc();
                    return;
                }
                reply(eth, DhcpMessage.DHCPOFFER);
                offers.inc();
                break;
            case DhcpMessage.DHCPREQUEST:
                onRequest(eth);
                break;
            case DhcpMessage.DHCPINFORM:
                reply(eth, DhcpMessage.DHCPACK);
                informs.inc();
                break;
            case DhcpMessage.DHCPDECLINE:
                if (!declineLogged) {
                    declineLogged = true; // once: a guest may repeat it forever
                    log.warn("DHCP: the guest declined {}: something on its side claims it", ctx.guest().addr4());
                }
                ignored.inc();
                break;
            default:
                // RELEASE (nothing to free), BOOTP without a message type, server messages
                ignored.inc();
        }
    }

    private void onRequest(EthernetFrame eth) {
        int serverId = msg.intOption(DhcpMessage.OPT_SERVER_ID, 0);
        if (serverId != 0 && serverId != server) {
            ignored.inc(); // SELECTING: the client chose another server's offer
            return;
        }
        int requested = msg.intOption(DhcpMessage.OPT_REQUESTED_IP, 0);
        int wanted = requested != 0 ? requested : msg.ciaddr();
        if (addr == 0 || wanted != addr) {
            reply(eth, DhcpMessage.DHCPNAK);
            naks.inc();
            return;
        }
        reply(eth, DhcpMessage.DHCPACK);
        acks.inc();
        ctx.guestState().sawAddress(ctx.guest().addr4());
        if (log.isDebugEnabled()) {
            log.debug("DHCP: acknowledged {} to {}", ctx.guest().addr4(), Mac.format(eth.src()));
        }
    }

    /** Builds and sends an OFFER, ACK (to a REQUEST or, with {@link #msg} an INFORM, configuration only) or NAK. */
    private void reply(EthernetFrame eth, int replyType) {
        boolean inform = msg.messageType() == DhcpMessage.DHCPINFORM;
        boolean nak = replyType == DhcpMessage.DHCPNAK;
        ByteBuf req = msg.buffer();
        int cidOff = msg.findOption(DhcpMessage.OPT_CLIENT_ID);
        int cidLen = cidOff >= 0 ? msg.lengthAt(cidOff) : 0;

        // what fits: the client's maximum message size bounds the whole IP datagram
        int maxIp = Math.max(MIN_MAX_MESSAGE, msg.shortOption(DhcpMessage.OPT_MAX_MESSAGE_SIZE, 0));
        int room = maxIp - Ipv4Packet.MIN_HEADER_LEN - UdpDatagram.HEADER_LEN - DhcpMessage.OPTIONS;
        int optLen = nak
                ? 3 + 6 + DhcpMessage.encodedLength(NAK_MESSAGE.length) + 1
                : baseOptionsLen - (inform ? 6 : 0);
        if (cidOff >= 0) {
            optLen += 2 + cidLen;
        }
        boolean withDomain = !nak && domainName.length > 0 && optLen + 2 + domainName.length <= room;
        if (withDomain) {
            optLen += 2 + domainName.length;
        }
        boolean withSearch = !nak && searchList.length > 0
                && optLen + DhcpMessage.encodedLength(searchList.length) <= room;
        if (withSearch) {
            optLen += DhcpMessage.encodedLength(searchList.length);
        }
        boolean withHostname = !nak && hostname.length > 0 && optLen + 2 + hostname.length <= room;
        if (withHostname) {
            optLen += 2 + hostname.length;
        }
        boolean withFqdn = !nak && fqdn.length > 0 && optLen + 2 + fqdn.length <= room;
        if (withFqdn) {
            optLen += 2 + fqdn.length;
        }
        int dhcpLen = Math.max(DhcpMessage.MIN_BOOTP_LEN, DhcpMessage.OPTIONS + optLen);
        int frameLen = HEADERS + dhcpLen;

        ByteBuf out = ctx.alloc().directBuffer(frameLen);
        int dhcpOff = HEADERS;
        int ciaddr = nak ? 0 : msg.ciaddr();
        int yiaddr = nak || inform ? 0 : addr;
        int p = DhcpMessage.emitHeader(out, dhcpOff, DhcpMessage.OP_REPLY, msg.xid(), 0, msg.flags(),
                ciaddr, yiaddr, 0, msg.giaddr(), msg.chaddr());
        p = DhcpMessage.putByte(out, p, DhcpMessage.OPT_MESSAGE_TYPE, replyType);
        p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_SERVER_ID, server);
        if (nak) {
            p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_MESSAGE, NAK_MESSAGE);
        } else {
            if (!inform) {
                p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_LEASE_TIME, LEASE_INFINITE);
            }
            p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_SUBNET_MASK, mask);
            p = DhcpMessage.putInt(out, p, DhcpMessage.OPT_ROUTER, server);
            if (dns.length > 0) {
                out.setByte(p, DhcpMessage.OPT_DNS);
                out.setByte(p + 1, 4 * dns.length);
                p += 2;
                for (int d : dns) {
                    out.setInt(p, d);
                    p += 4;
                }
            }
            if (mtu != 0) {
                p = DhcpMessage.putShort(out, p, DhcpMessage.OPT_MTU, mtu);
            }
            if (withDomain) {
                p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_DOMAIN_NAME, domainName);
            }
            if (withSearch) {
                p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_DOMAIN_SEARCH, searchList);
            }
            if (withHostname) {
                p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_HOSTNAME, hostname);
            }
            if (withFqdn) {
                p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_CLIENT_FQDN, fqdn);
            }
        }
        if (cidOff >= 0) {
            // RFC 6842: the client identifier comes back unaltered
            p = DhcpMessage.putBytes(out, p, DhcpMessage.OPT_CLIENT_ID, req, cidOff, cidLen);
        }
        p = DhcpMessage.putEnd(out, p);
        assert p - dhcpOff == DhcpMessage.OPTIONS + optLen : "DHCP reply length " + (p - dhcpOff);
        out.setZero(p, HEADERS + dhcpLen - p);

        int dstIp;
        if (nak || msg.broadcastFlag() || (inform && ciaddr == 0)) {
            dstIp = BROADCAST;
        } else if (ciaddr != 0) {
            dstIp = ciaddr;
        } else {
            dstIp = yiaddr;
        }
        EthernetFrame.emit(out, 0, eth.src(), ourMac, EthernetFrame.TYPE_IPV4);
        int udpLen = UdpDatagram.HEADER_LEN + dhcpLen;
        int ipOff = EthernetFrame.HEADER_LEN;
        Ipv4Packet.emit(out, ipOff, server, dstIp, Ipv4Packet.PROTO_UDP, udpLen, TTL, ident++ & 0xffff);
        UdpDatagram.emit(out, ipOff + Ipv4Packet.MIN_HEADER_LEN, SERVER_PORT, CLIENT_PORT, dhcpLen,
                Checksum.pseudoV4(server, dstIp, Ipv4Packet.PROTO_UDP, udpLen));
        out.writerIndex(frameLen);
        ctx.link().send(out);
    }
}
