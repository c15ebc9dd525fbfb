package dev.sluice.core.l2;

import dev.sluice.core.Counters.Counter;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.DhcpMessage;
import dev.sluice.core.wire.Dhcpv6Message;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * A stateless-in-practice DHCPv6 server (RFC 8415) for one client: the IA_NA
 * always holds {@code addr6} with infinite lifetimes (passt's choice, like the
 * DHCPv4 lease), plus DNS servers and the domain search list.
 *
 * <p>SOLICIT gets an ADVERTISE, or a REPLY when the client asked for rapid
 * commit; REQUEST, RENEW and REBIND a REPLY with the address; CONFIRM a
 * REPLY saying whether the client's addresses are on our link;
 * INFORMATION-REQUEST a REPLY with DNS and domains only; RELEASE and DECLINE
 * a plain Success. Messages naming another server, or missing the client
 * identifier where it is required, are dropped as the RFC says. The server
 * identifier is a DUID-LL of Sluice's MAC, so it is stable across restarts.
 * Replies come from {@code routerLl6} port 547 to the client's address, port 546.
 *
 * <p>Not here: IA_TA, prefix delegation, relays, reconfigure, authentication.
 */
public final class Dhcpv6Server {
    private static final Logger log = LoggerFactory.getLogger(Dhcpv6Server.class);

    static final long INFINITE = 0xffffffffL;
    private static final int HOP_LIMIT = 64;
    private static final int HEADERS = EthernetFrame.HEADER_LEN + Ipv6Packet.HEADER_LEN + UdpDatagram.HEADER_LEN;
    private static final byte[] MSG_SUCCESS = "success".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MSG_NOT_ON_LINK = "address not on link".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MSG_NO_ADDRS = "no addresses available".getBytes(StandardCharsets.US_ASCII);

    private final SluiceContext ctx;
    private final long ourMac;
    private final long routerHi;
    private final long routerLo;
    private final boolean hasAddr;
    private final long addrHi;
    private final long addrLo;
    private final long prefixMaskHi;
    private final long prefixMaskLo;
    private final byte[] dns;
    private final byte[] domains;

    private final Dhcpv6Message msg = new Dhcpv6Message();
    private boolean declineLogged;

    /** Option 39's data (flags 0: Sluice updates no DNS, then the name in wire format); empty without --fqdn. */
    private final byte[] fqdn;
    private final Counter bad;
    private final Counter badChecksum;
    private final Counter ignored;
    private final Counter advertises;
    private final Counter replies;

    public Dhcpv6Server(SluiceContext ctx) {
        this.ctx = ctx;
        GuestConfig g = ctx.guest();
        this.ourMac = g.ourMac();
        this.routerHi = g.routerLl6() != null ? Addrs.hi(g.routerLl6()) : Addrs.LINK_LOCAL_HI;
        this.routerLo = g.routerLl6() != null ? Addrs.lo(g.routerLl6()) : Addrs.eui64(ourMac);
        this.hasAddr = g.addr6() != null;
        this.addrHi = Addrs.hi(g.addr6());
        this.addrLo = Addrs.lo(g.addr6());
        int plen = g.prefix6() > 0 && g.prefix6() <= 128 ? g.prefix6() : 64;
        this.prefixMaskHi = Addrs.maskHi(plen);
        this.prefixMaskLo = Addrs.maskLo(plen);
        this.dns = new byte[16 * g.dns6().size()];
        for (int i = 0; i < g.dns6().size(); i++) {
            System.arraycopy(g.dns6().get(i).getAddress(), 0, dns, 16 * i, 16);
        }
        this.domains = DhcpMessage.encodeDomainNames(Addrs.validDomains(g.search()));
        this.fqdn = g.fqdn() == null ? new byte[0] : fqdnOption(g.fqdn());
        var c = ctx.counters();
        this.bad = c.get("dhcpv6.bad");
        this.badChecksum = c.get("dhcpv6.bad_checksum");
        this.ignored = c.get("dhcpv6.ignored");
        this.advertises = c.get("dhcpv6.advertise");
        this.replies = c.get("dhcpv6.reply");
    }

    static byte[] fqdnOption(String name) {
        byte[] wire = DhcpMessage.encodeDomainNames(java.util.List.of(name));
        byte[] out = new byte[1 + wire.length];
        System.arraycopy(wire, 0, out, 1, wire.length);
        return out;
    }

    /**
     * One UDP datagram to port 547 from the guest: {@code ip} and {@code udp}
     * wrap its headers (the dispatcher checked the IPv6 header).
     */
    public void onDhcpv6(EthernetFrame eth, Ipv6Packet ip, UdpDatagram udp) {
        if (!udp.verifyChecksum(ip.pseudoHeaderSum(), true)) {
            badChecksum.inc();
            return;
        }
        if (!msg.wrap(ip.buffer(), udp.payloadOffset(), udp.payloadLength()) || !msg.optionsValid()
                || (ip.srcHi() == 0 && ip.srcLo() == 0)) {
            // clients speak from their link-local address; :: leaves nowhere to answer
            bad.inc();
            return;
        }
        int type = msg.msgType();
        int clientId = msg.findOption(Dhcpv6Message.OPT_CLIENTID);
        int serverId = msg.findOption(Dhcpv6Message.OPT_SERVERID);
        boolean ours = serverId >= 0 && isOurDuid(serverId);
        int iaNa = msg.findOption(Dhcpv6Message.OPT_IA_NA);
        if (iaNa >= 0 && msg.lengthAt(iaNa) < Dhcpv6Message.IA_NA_FIXED) {
            bad.inc();
            return;
        }
        switch (type) {
            case Dhcpv6Message.SOLICIT: {
                if (clientId < 0 || serverId >= 0) {
                    ignored.inc();
                    return;
                }
                boolean rapid = msg.findOption(Dhcpv6Message.OPT_RAPID_COMMIT) >= 0;
                if (iaNa < 0) {
                    // nothing we could ever assign it (IA_PD or IA_TA only)
                    send(eth, ip, rapid ? Dhcpv6Message.REPLY : Dhcpv6Message.ADVERTISE, clientId, -1,
                            Dhcpv6Message.STATUS_NO_ADDRS_AVAIL, MSG_NO_ADDRS, false, rapid);
                } else {
                    send(eth, ip, rapid ? Dhcpv6Message.REPLY : Dhcpv6Message.ADVERTISE, clientId, iaNa,
                            -1, null, true, rapid);
                    if (rapid) {
                        leased();
                    }
                }
                (rapid ? replies : advertises).inc();
                break;
            }
            case Dhcpv6Message.REQUEST:
            case Dhcpv6Message.RENEW:
            case Dhcpv6Message.REBIND: {
                boolean needServer = type != Dhcpv6Message.REBIND;
                if (clientId < 0 || (needServer ? !ours : serverId >= 0)) {
                    ignored.inc();
                    return;
                }
                send(eth, ip, Dhcpv6Message.REPLY, clientId, iaNa, -1, null, true, false);
                if (iaNa >= 0) {
                    leased();
                }
                replies.inc();
                break;
            }
            case Dhcpv6Message.CONFIRM: {
                if (clientId < 0 || serverId >= 0) {
                    ignored.inc();
                    return;
                }
                int onLink = confirmAddresses();
                if (onLink < 0) {
                    ignored.inc(); // no addresses to confirm: RFC 8415 18.3.3 says stay silent
                    return;
                }
                send(eth, ip, Dhcpv6Message.REPLY, clientId, -1,
                        onLink == 1 ? Dhcpv6Message.STATUS_SUCCESS : Dhcpv6Message.STATUS_NOT_ON_LINK,
                        onLink == 1 ? MSG_SUCCESS : MSG_NOT_ON_LINK, false, false);
                replies.inc();
                break;
            }
            case Dhcpv6Message.RELEASE:
            case Dhcpv6Message.DECLINE: {
                if (clientId < 0 || !ours) {
                    ignored.inc();
                    return;
                }
                if (type == Dhcpv6Message.DECLINE && !declineLogged) {
                    declineLogged = true; // once: a guest may repeat it forever
                    log.warn("DHCPv6: the guest declined {}: something on its side claims it", ctx.guest().addr6());
                }
                send(eth, ip, Dhcpv6Message.REPLY, clientId, -1, Dhcpv6Message.STATUS_SUCCESS, MSG_SUCCESS,
                        false, false);
                replies.inc();
                break;
            }
            case Dhcpv6Message.INFORMATION_REQUEST: {
                if ((serverId >= 0 && !ours) || iaNa >= 0) {
                    ignored.inc();
                    return;
                }
                send(eth, ip, Dhcpv6Message.REPLY, clientId, -1, -1, null, true, false);
                replies.inc();
                break;
            }
            default:
                ignored.inc();
        }
    }

    private boolean isOurDuid(int serverId) {
        ByteBuf b = msg.buffer();
        return msg.lengthAt(serverId) == Dhcpv6Message.DUID_LL_ETHERNET_LEN
                && b.getUnsignedShort(serverId) == Dhcpv6Message.DUID_LL
                && b.getUnsignedShort(serverId + 2) == Dhcpv6Message.HW_TYPE_ETHERNET
                && Mac.get(b, serverId + 4) == ourMac;
    }

    /** 1 when every address in the CONFIRM's IA_NAs is on our prefix, 0 when one is not, -1 when there are none. */
    private int confirmAddresses() {
        int result = -1;
        int top = msg.offset() + Dhcpv6Message.OPTIONS;
        int topEnd = msg.offset() + msg.length();
        ByteBuf b = msg.buffer();
        // walk top-level IA_NAs by hand so the cursor can descend into each
        for (int p = top; p + 4 <= topEnd; ) {
            int code = b.getUnsignedShort(p);
            int len = b.getUnsignedShort(p + 2);
            int data = p + 4;
            p = data + len;
            if (code != Dhcpv6Message.OPT_IA_NA || len < Dhcpv6Message.IA_NA_FIXED) {
                continue;
            }
            msg.wrapOptions(data + Dhcpv6Message.IA_NA_FIXED, len - Dhcpv6Message.IA_NA_FIXED);
            while (msg.nextOption()) {
                if (msg.optionCode() != Dhcpv6Message.OPT_IAADDR || msg.optionLength() < Dhcpv6Message.IAADDR_FIXED) {
                    continue;
                }
                int a = msg.optionDataOffset();
                boolean on = hasAddr && ((b.getLong(a) ^ addrHi) & prefixMaskHi) == 0
                        && ((b.getLong(a + 8) ^ addrLo) & prefixMaskLo) == 0;
                if (!on) {
                    msg.topLevelOptions();
                    return 0;
                }
                result = 1;
            }
        }
        msg.topLevelOptions();
        return result;
    }

    private void leased() {
        if (hasAddr) {
            ctx.guestState().sawAddress(ctx.guest().addr6());
        }
    }

    /**
     * Builds and sends one reply. {@code iaNa}: the request's IA_NA data (its
     * IAID is echoed) or -1 for none; {@code status}/{@code statusMsg}: a
     * top-level status code, or -1; {@code config}: add DNS and domains.
     */
    private void send(EthernetFrame eth, Ipv6Packet ip, int replyType, int clientId, int iaNa, int status,
                      byte[] statusMsg, boolean config, boolean rapid) {
        ByteBuf req = msg.buffer();
        int cidLen = clientId >= 0 ? msg.lengthAt(clientId) : 0;
        int len = Dhcpv6Message.HEADER_LEN
                + (clientId >= 0 ? 4 + cidLen : 0)
                + 4 + Dhcpv6Message.DUID_LL_ETHERNET_LEN
                + (rapid ? 4 : 0)
                + (iaNa >= 0 ? (hasAddr ? Dhcpv6Message.IA_NA_WITH_ADDRESS_LEN
                        : 4 + Dhcpv6Message.IA_NA_FIXED + Dhcpv6Message.statusLength(MSG_NO_ADDRS)) : 0)
                + (status >= 0 ? Dhcpv6Message.statusLength(statusMsg) : 0)
                + (config && dns.length > 0 ? 4 + dns.length : 0)
                + (config && domains.length > 0 ? 4 + domains.length : 0)
                + (config && fqdn.length > 0 ? 4 + fqdn.length : 0);
        ByteBuf out = ctx.alloc().directBuffer(HEADERS + len);
        int p = Dhcpv6Message.emitHeader(out, HEADERS, replyType, msg.transactionId());
        if (clientId >= 0) {
            p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_CLIENTID, req, clientId, cidLen);
        }
        p = Dhcpv6Message.putDuidLl(out, p, Dhcpv6Message.OPT_SERVERID, ourMac);
        if (rapid) {
            p = Dhcpv6Message.putEmpty(out, p, Dhcpv6Message.OPT_RAPID_COMMIT);
        }
        if (iaNa >= 0) {
            int iaid = req.getInt(iaNa);
            if (hasAddr) {
                p = Dhcpv6Message.putIaNaWithAddress(out, p, iaid, INFINITE, INFINITE, addrHi, addrLo,
                        INFINITE, INFINITE);
            } else {
                p = Dhcpv6Message.putIaNaWithStatus(out, p, iaid, Dhcpv6Message.STATUS_NO_ADDRS_AVAIL, MSG_NO_ADDRS);
            }
        }
        if (status >= 0) {
            p = Dhcpv6Message.putStatus(out, p, status, statusMsg);
        }
        if (config && dns.length > 0) {
            p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_DNS_SERVERS, dns);
        }
        if (config && domains.length > 0) {
            p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_DOMAIN_LIST, domains);
        }
        if (config && fqdn.length > 0) {
            p = Dhcpv6Message.putBytes(out, p, Dhcpv6Message.OPT_CLIENT_FQDN, fqdn);
        }
        assert p == HEADERS + len : "DHCPv6 reply length " + (p - HEADERS) + " != " + len;
        int ipOff = EthernetFrame.HEADER_LEN;
        int udpOff = ipOff + Ipv6Packet.HEADER_LEN;
        int udpLen = UdpDatagram.HEADER_LEN + len;
        long dstHi = ip.srcHi();
        long dstLo = ip.srcLo();
        EthernetFrame.emit(out, 0, eth.src(), ourMac, EthernetFrame.TYPE_IPV6);
        Ipv6Packet.emit(out, ipOff, routerHi, routerLo, dstHi, dstLo, Ipv6Packet.NH_UDP, udpLen, HOP_LIMIT);
        UdpDatagram.emit(out, udpOff, Dhcpv6Message.SERVER_PORT, Dhcpv6Message.CLIENT_PORT, len,
                Checksum.pseudoV6(routerHi, routerLo, dstHi, dstLo, Ipv6Packet.NH_UDP, udpLen));
        out.writerIndex(HEADERS + len);
        ctx.link().send(out);
    }
}
