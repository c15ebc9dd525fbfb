package dev.sluice.core.flow;

import dev.sluice.core.GuestConfig;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.Mac;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;

/**
 * Builds frames for the guest in place: Ethernet (to the guest's MAC, or
 * broadcast while it is unknown, from Sluice's MAC) and IPv4/IPv6 headers in
 * front of an L4 part already in the buffer, UDP datagrams, and ICMP/ICMPv6
 * destination-unreachable errors quoting what the guest sent. One instance
 * per component, used on the event loop only.
 *
 * <p>Frame layout: the Ethernet header at {@code frameOff}, the IP header at
 * {@code frameOff + 14}, the L4 header at {@code frameOff + }{@link #L4_V4}
 * or {@link #L4_V6}.
 */
public final class GuestFrames {
    public static final int L4_V4 = EthernetFrame.HEADER_LEN + Ipv4Packet.MIN_HEADER_LEN;
    public static final int L4_V6 = EthernetFrame.HEADER_LEN + Ipv6Packet.HEADER_LEN;
    /** Room for Ethernet + IPv6 + UDP (or ICMP) headers in front of a payload. */
    public static final int MAX_HEADROOM = L4_V6 + UdpDatagram.HEADER_LEN;
    /** passt sends everything with TTL / hop limit 255: Sluice is the guest's only hop. */
    public static final int TTL = 255;

    public static final int ICMP6_DEST_UNREACHABLE = 1;
    public static final int ICMP6_CODE_NO_ROUTE = 0;
    public static final int ICMP6_CODE_ADMIN_PROHIBITED = 1;
    public static final int ICMP6_CODE_ADDR_UNREACHABLE = 3;
    public static final int ICMP6_CODE_PORT_UNREACHABLE = 4;
    /** RFC 4443 2.4(c): an ICMPv6 error must fit the IPv6 minimum MTU of 1280 bytes. */
    public static final int ICMP6_MAX_QUOTE = 1280 - Ipv6Packet.HEADER_LEN - 8;

    private final SluiceContext ctx;
    private final long ourMac;
    private int ident;

    public GuestFrames(SluiceContext ctx) {
        this.ctx = ctx;
        GuestConfig g = ctx.guest();
        this.ourMac = g != null ? g.ourMac() : GuestConfig.DEFAULT_OUR_MAC;
    }

    public SluiceContext context() {
        return ctx;
    }

    /** The guest's MAC, or broadcast while it has not been learned. */
    public long guestMac() {
        long m = ctx.guestState().mac();
        return m != 0 ? m : Mac.BROADCAST;
    }

    /** Writes Ethernet and IPv4 headers for an L4 part of {@code l4Len} bytes at {@code frameOff + L4_V4}. */
    public void headersV4(ByteBuf b, int frameOff, int src, int dst, int protocol, int l4Len) {
        EthernetFrame.emit(b, frameOff, guestMac(), ourMac, EthernetFrame.TYPE_IPV4);
        Ipv4Packet.emit(b, frameOff + EthernetFrame.HEADER_LEN, src, dst, protocol, l4Len, TTL, ident++ & 0xffff);
    }

    /** Writes Ethernet and IPv6 headers for an L4 part of {@code l4Len} bytes at {@code frameOff + L4_V6}. */
    public void headersV6(ByteBuf b, int frameOff, long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader,
                          int l4Len) {
        EthernetFrame.emit(b, frameOff, guestMac(), ourMac, EthernetFrame.TYPE_IPV6);
        Ipv6Packet.emit(b, frameOff + EthernetFrame.HEADER_LEN, srcHi, srcLo, dstHi, dstLo, nextHeader, l4Len, TTL);
    }

    /**
     * Ethernet and IP headers (the one builder for every frame to the guest) for
     * an L4 part of {@code l4Len} bytes at {@code frameOff + }{@link #l4Offset}.
     * IPv4 addresses are the low 32 bits of the low halves.
     */
    public void headers(ByteBuf b, int frameOff, boolean v6, long srcHi, long srcLo, long dstHi, long dstLo,
                        int protocol, int l4Len) {
        if (v6) {
            headersV6(b, frameOff, srcHi, srcLo, dstHi, dstLo, protocol, l4Len);
        } else {
            headersV4(b, frameOff, (int) srcLo, (int) dstLo, protocol, l4Len);
        }
    }

    /** Where the L4 header starts in a frame to the guest: {@link #L4_V4} or {@link #L4_V6}. */
    public static int l4Offset(boolean v6) {
        return v6 ? L4_V6 : L4_V4;
    }

    /** A UDP/IPv4 frame around {@code payloadLen} bytes already at {@code frameOff + L4_V4 + 8}. */
    public void udpV4(ByteBuf b, int frameOff, int src, int srcPort, int dst, int dstPort, int payloadLen) {
        int l4 = UdpDatagram.HEADER_LEN + payloadLen;
        UdpDatagram.emit(b, frameOff + L4_V4, srcPort, dstPort, payloadLen,
                Checksum.pseudoV4(src, dst, Ipv4Packet.PROTO_UDP, l4));
        headersV4(b, frameOff, src, dst, Ipv4Packet.PROTO_UDP, l4);
    }

    /** A UDP/IPv6 frame around {@code payloadLen} bytes already at {@code frameOff + L4_V6 + 8}. */
    public void udpV6(ByteBuf b, int frameOff, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo,
                      int dstPort, int payloadLen) {
        int l4 = UdpDatagram.HEADER_LEN + payloadLen;
        UdpDatagram.emit(b, frameOff + L4_V6, srcPort, dstPort, payloadLen,
                Checksum.pseudoV6(srcHi, srcLo, dstHi, dstLo, Ipv6Packet.NH_UDP, l4));
        headersV6(b, frameOff, srcHi, srcLo, dstHi, dstLo, Ipv6Packet.NH_UDP, l4);
    }

    /** Stores the ICMPv6 checksum of the {@code len}-byte message at {@code icmpOff}. */
    public static void icmpv6Checksum(ByteBuf b, int icmpOff, int len, long srcHi, long srcLo, long dstHi,
                                      long dstLo) {
        b.setShort(icmpOff + 2, 0);
        long acc = Checksum.pseudoV6(srcHi, srcLo, dstHi, dstLo, Ipv6Packet.NH_ICMPV6, len);
        b.setShort(icmpOff + 2, Checksum.finish(Checksum.add(acc, b, icmpOff, len)));
    }

    /**
     * Answers the guest packet at {@code ipOff} of {@code frame} with a
     * destination unreachable error from the address it was sent to, quoting
     * as much of it as the RFCs allow. Queued on the link, not flushed. The
     * caller makes sure the packet is not itself an ICMP error nor sent to a
     * broadcast or multicast address.
     *
     * @param code4 ICMPv4 code ({@code Icmpv4Message.CODE_*})
     * @param code6 ICMPv6 code ({@code ICMP6_CODE_*})
     */
    public void unreachable(ByteBuf frame, int ipOff, boolean ipv6, int code4, int code6) {
        if (!ipv6) {
            int total = Math.min(frame.getUnsignedShort(ipOff + Ipv4Packet.TOTAL_LEN),
                    frame.writerIndex() - ipOff);
            int quoted = Icmpv4Message.quoteLength(total);
            int icmpLen = Icmpv4Message.HEADER_LEN + quoted;
            ByteBuf b = ctx.alloc().directBuffer(L4_V4 + icmpLen);
            b.setBytes(L4_V4 + Icmpv4Message.HEADER_LEN, frame, ipOff, quoted);
            Icmpv4Message.emitError(b, L4_V4, Icmpv4Message.TYPE_DEST_UNREACHABLE, code4, 0, quoted);
            headersV4(b, 0, frame.getInt(ipOff + Ipv4Packet.DST), frame.getInt(ipOff + Ipv4Packet.SRC),
                    Ipv4Packet.PROTO_ICMP, icmpLen);
            b.writerIndex(L4_V4 + icmpLen);
            ctx.link().send(b);
        } else {
            int total = Math.min(Ipv6Packet.HEADER_LEN + frame.getUnsignedShort(ipOff + Ipv6Packet.PAYLOAD_LEN),
                    frame.writerIndex() - ipOff);
            int quoted = Math.min(total, ICMP6_MAX_QUOTE);
            int icmpLen = 8 + quoted;
            long srcHi = frame.getLong(ipOff + Ipv6Packet.DST);
            long srcLo = frame.getLong(ipOff + Ipv6Packet.DST + 8);
            long dstHi = frame.getLong(ipOff + Ipv6Packet.SRC);
            long dstLo = frame.getLong(ipOff + Ipv6Packet.SRC + 8);
            ByteBuf b = ctx.alloc().directBuffer(L4_V6 + icmpLen);
            b.setBytes(L4_V6 + 8, frame, ipOff, quoted);
            b.setByte(L4_V6, ICMP6_DEST_UNREACHABLE);
            b.setByte(L4_V6 + 1, code6);
            b.setInt(L4_V6 + 4, 0);
            icmpv6Checksum(b, L4_V6, icmpLen, srcHi, srcLo, dstHi, dstLo);
            headersV6(b, 0, srcHi, srcLo, dstHi, dstLo, Ipv6Packet.NH_ICMPV6, icmpLen);
            b.writerIndex(L4_V6 + icmpLen);
            ctx.link().send(b);
        }
    }

    /**
     * Port unreachable for a UDP/IPv4 flow when the original datagram is gone
     * (the host socket reported ECONNREFUSED later): quotes a rebuilt IPv4 and
     * UDP header for a datagram of {@code payloadLen} bytes, which is all a
     * receiving stack needs to find its socket (RFC 792: header + 64 bits).
     */
    public void udpPortUnreachableV4(int guest, int guestPort, int remote, int remotePort, int payloadLen) {
        int quoted = Ipv4Packet.MIN_HEADER_LEN + UdpDatagram.HEADER_LEN;
        int icmpLen = Icmpv4Message.HEADER_LEN + quoted;
        ByteBuf b = ctx.alloc().directBuffer(L4_V4 + icmpLen);
        int q = L4_V4 + Icmpv4Message.HEADER_LEN;
        Ipv4Packet.emit(b, q, guest, remote, Ipv4Packet.PROTO_UDP, UdpDatagram.HEADER_LEN + payloadLen, 64, 0);
        quotedUdpHeader(b, q + Ipv4Packet.MIN_HEADER_LEN, guestPort, remotePort, payloadLen);
        Icmpv4Message.emitError(b, L4_V4, Icmpv4Message.TYPE_DEST_UNREACHABLE, Icmpv4Message.CODE_PORT_UNREACHABLE,
                0, quoted);
        headersV4(b, 0, remote, guest, Ipv4Packet.PROTO_ICMP, icmpLen);
        b.writerIndex(L4_V4 + icmpLen);
        ctx.link().send(b);
    }

    /** The IPv6 counterpart of {@link #udpPortUnreachableV4}. */
    public void udpPortUnreachableV6(long guestHi, long guestLo, int guestPort, long remoteHi, long remoteLo,
                                     int remotePort, int payloadLen) {
        int quoted = Ipv6Packet.HEADER_LEN + UdpDatagram.HEADER_LEN;
        int icmpLen = 8 + quoted;
        ByteBuf b = ctx.alloc().directBuffer(L4_V6 + icmpLen);
        int q = L4_V6 + 8;
        Ipv6Packet.emit(b, q, guestHi, guestLo, remoteHi, remoteLo, Ipv6Packet.NH_UDP,
                UdpDatagram.HEADER_LEN + payloadLen, 64);
        quotedUdpHeader(b, q + Ipv6Packet.HEADER_LEN, guestPort, remotePort, payloadLen);
        b.setByte(L4_V6, ICMP6_DEST_UNREACHABLE);
        b.setByte(L4_V6 + 1, ICMP6_CODE_PORT_UNREACHABLE);
        b.setInt(L4_V6 + 4, 0);
        icmpv6Checksum(b, L4_V6, icmpLen, remoteHi, remoteLo, guestHi, guestLo);
        headersV6(b, 0, remoteHi, remoteLo, guestHi, guestLo, Ipv6Packet.NH_ICMPV6, icmpLen);
        b.writerIndex(L4_V6 + icmpLen);
        ctx.link().send(b);
    }

    private static void quotedUdpHeader(ByteBuf b, int off, int srcPort, int dstPort, int payloadLen) {
        b.setShort(off + UdpDatagram.SRC_PORT, srcPort);
        b.setShort(off + UdpDatagram.DST_PORT, dstPort);
        b.setShort(off + UdpDatagram.LENGTH, UdpDatagram.HEADER_LEN + payloadLen);
        b.setShort(off + UdpDatagram.CHECKSUM, 0); // unknown by now; receivers do not check quoted sums
    }
}
