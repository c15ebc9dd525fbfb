package dev.sluice.core.host;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Pure parsers for rtnetlink replies: walking a datagram's messages and
 * decoding link, address, route and error payloads. The buffer must be in
 * native byte order; all indexes are absolute and nothing reads outside
 * [off, off+len). Malformed input yields null (or stops the walk); it never
 * throws. These run at startup and on address changes, not per packet, so
 * they may allocate their results.
 */
final class RtnlParser {
    private RtnlParser() {
    }

    /** Receives each well-formed message: its header fields and payload range. */
    interface Visitor {
        void message(int type, int flags, int seq, ByteBuffer buf, int payloadOff, int payloadLen);
    }

    /** What a link message says, before its addresses are joined to it. */
    record Link(int index, String name, int mtu, long mac, int flags) {
        HostInterface withAddresses(List<HostAddress> addresses) {
            return new HostInterface(index, name, mtu, mac, (flags & Rtnl.IFF_UP) != 0,
                    (flags & Rtnl.IFF_LOOPBACK) != 0, addresses);
        }
    }

    /**
     * Visits the messages of buf[off, off+len) in order.
     *
     * @return the number of messages visited, or -(that number)-1 if a malformed header
     *         (length shorter than a header or past the end) stopped the walk
     */
    static int walk(ByteBuffer buf, int off, int len, Visitor v) {
        int end = off + len;
        int pos = off;
        int count = 0;
        // Each step advances by at least NLMSG_HDRLEN, so the loop is bounded by len / 16.
        while (end - pos >= Rtnl.NLMSG_HDRLEN) {
            int msgLen = buf.getInt(pos);
            if (msgLen < Rtnl.NLMSG_HDRLEN || msgLen > end - pos) {
                return -count - 1;
            }
            int type = buf.getShort(pos + 4) & 0xffff;
            int flags = buf.getShort(pos + 6) & 0xffff;
            int seq = buf.getInt(pos + 8);
            v.message(type, flags, seq, buf, pos + Rtnl.NLMSG_HDRLEN, msgLen - Rtnl.NLMSG_HDRLEN);
            count++;
            pos += Math.min(Rtnl.align(msgLen), end - pos);
        }
        return end == pos ? count : -count - 1;
    }

    /**
     * The error code of an NLMSG_ERROR payload (0 = ack, else -errno), or 1 if the payload is
     * too short to hold one.
     */
    static int error(ByteBuffer buf, int off, int len) {
        return len < 4 ? 1 : buf.getInt(off);
    }

    /** A RTM_NEWLINK/RTM_DELLINK payload, or null if malformed. */
    static Link link(ByteBuffer buf, int off, int len) {
        if (len < Rtnl.IFINFOMSG_LEN) {
            return null;
        }
        int index = buf.getInt(off + 4);
        int flags = buf.getInt(off + 8);
        String name = null;
        int mtu = 0;
        long mac = 0;
        int end = off + len;
        int a = off + Rtnl.IFINFOMSG_LEN;
        while (end - a >= Rtnl.NLA_HDRLEN) {
            int aLen = buf.getShort(a) & 0xffff;
            if (aLen < Rtnl.NLA_HDRLEN || aLen > end - a) {
                return null;
            }
            int aType = buf.getShort(a + 2) & Rtnl.NLA_TYPE_MASK;
            int p = a + Rtnl.NLA_HDRLEN;
            int pLen = aLen - Rtnl.NLA_HDRLEN;
            switch (aType) {
                case Rtnl.IFLA_IFNAME -> name = cString(buf, p, pLen);
                case Rtnl.IFLA_MTU -> mtu = pLen >= 4 ? buf.getInt(p) : 0;
                case Rtnl.IFLA_ADDRESS -> mac = pLen == 6 ? mac(buf, p) : 0;
                default -> { }
            }
            a += Math.min(Rtnl.align(aLen), end - a);
        }
        if (name == null || index <= 0) {
            return null;
        }
        return new Link(index, name, mtu, mac, flags);
    }

    /** A RTM_NEWADDR/RTM_DELADDR payload, or null if malformed or neither IPv4 nor IPv6. */
    static HostAddress address(ByteBuffer buf, int off, int len) {
        if (len < Rtnl.IFADDRMSG_LEN) {
            return null;
        }
        int family = buf.get(off) & 0xff;
        int addrLen = family == Native.AF_INET ? 4 : family == Native.AF_INET6 ? 16 : -1;
        if (addrLen < 0) {
            return null;
        }
        int prefix = buf.get(off + 1) & 0xff;
        int scope = buf.get(off + 3) & 0xff;
        int index = buf.getInt(off + 4);
        int local = -1;
        int address = -1;
        int end = off + len;
        int a = off + Rtnl.IFADDRMSG_LEN;
        while (end - a >= Rtnl.NLA_HDRLEN) {
            int aLen = buf.getShort(a) & 0xffff;
            if (aLen < Rtnl.NLA_HDRLEN || aLen > end - a) {
                return null;
            }
            int aType = buf.getShort(a + 2) & Rtnl.NLA_TYPE_MASK;
            if (aLen - Rtnl.NLA_HDRLEN == addrLen) {
                if (aType == Rtnl.IFA_LOCAL) {
                    local = a + Rtnl.NLA_HDRLEN;
                } else if (aType == Rtnl.IFA_ADDRESS) {
                    address = a + Rtnl.NLA_HDRLEN;
                }
            }
            a += Math.min(Rtnl.align(aLen), end - a);
        }
        // IFA_ADDRESS is the peer on point-to-point links; IFA_LOCAL, when present, is ours.
        int at = local >= 0 ? local : address;
        if (at < 0 || prefix > addrLen * 8) {
            return null;
        }
        byte[] bytes = new byte[addrLen];
        buf.get(at, bytes);
        boolean linkLocal = scope == Rtnl.RT_SCOPE_LINK || isLinkLocal(bytes);
        InetAddress ia = inet(bytes, linkLocal ? index : -1);
        return ia == null ? null : new HostAddress(ia, prefix, index, linkLocal);
    }

    /**
     * A RTM_NEWROUTE payload if it is a unicast default route (dst_len 0) of the main table
     * with an IPv4 or IPv6 family; null for any other route or malformed input.
     */
    static HostRoute defaultRoute(ByteBuffer buf, int off, int len) {
        if (len < Rtnl.RTMSG_LEN) {
            return null;
        }
        int family = buf.get(off) & 0xff;
        int addrLen = family == Native.AF_INET ? 4 : family == Native.AF_INET6 ? 16 : -1;
        int dstLen = buf.get(off + 1) & 0xff;
        int table = buf.get(off + 4) & 0xff;
        int type = buf.get(off + 7) & 0xff;
        if (addrLen < 0 || dstLen != 0 || type != Rtnl.RTN_UNICAST) {
            return null;
        }
        int oif = 0;
        int metric = 0;
        InetAddress gateway = null;
        int end = off + len;
        int a = off + Rtnl.RTMSG_LEN;
        while (end - a >= Rtnl.NLA_HDRLEN) {
            int aLen = buf.getShort(a) & 0xffff;
            if (aLen < Rtnl.NLA_HDRLEN || aLen > end - a) {
                return null;
            }
            int aType = buf.getShort(a + 2) & Rtnl.NLA_TYPE_MASK;
            int p = a + Rtnl.NLA_HDRLEN;
            int pLen = aLen - Rtnl.NLA_HDRLEN;
            switch (aType) {
                case Rtnl.RTA_TABLE -> table = pLen >= 4 ? buf.getInt(p) : table;
                case Rtnl.RTA_OIF -> oif = pLen >= 4 ? buf.getInt(p) : 0;
                case Rtnl.RTA_PRIORITY -> metric = pLen >= 4 ? buf.getInt(p) : 0;
                case Rtnl.RTA_GATEWAY, Rtnl.RTA_VIA -> {
                    InetAddress g = gateway(buf, p, pLen, aType, addrLen);
                    if (g != null) {
                        gateway = g;
                    }
                }
                case Rtnl.RTA_MULTIPATH -> {
                    // Only the first next hop: enough to pick the outbound interface.
                    if (pLen >= Rtnl.RTNH_LEN && oif == 0) {
                        int nhLen = Math.min(buf.getShort(p) & 0xffff, pLen);
                        oif = buf.getInt(p + 4);
                        InetAddress g = nextHopGateway(buf, p + Rtnl.RTNH_LEN, nhLen - Rtnl.RTNH_LEN, addrLen);
                        if (g != null && gateway == null) {
                            gateway = g;
                        }
                    }
                }
                default -> { }
            }
            a += Math.min(Rtnl.align(aLen), end - a);
        }
        if (table != Rtnl.RT_TABLE_MAIN) {
            return null;
        }
        if (gateway instanceof Inet6Address g6 && g6.isLinkLocalAddress() && oif > 0) {
            gateway = inet(g6.getAddress(), oif);
        }
        return new HostRoute(family == Native.AF_INET ? 4 : 6, gateway, oif, metric);
    }

    /**
     * The answer to an RTM_GETROUTE (an RTM_NEWROUTE payload), packed without allocating:
     * the route type (RTN_*) in bits 32..39 and the output interface index (RTA_OIF, else the
     * first next hop's, else 0) in the low 32 bits; -1 if malformed or of another family.
     */
    static long routeAnswer(ByteBuffer buf, int off, int len) {
        if (len < Rtnl.RTMSG_LEN) {
            return -1;
        }
        int family = buf.get(off) & 0xff;
        if (family != Native.AF_INET && family != Native.AF_INET6) {
            return -1;
        }
        int type = buf.get(off + 7) & 0xff;
        int oif = 0;
        int end = off + len;
        int a = off + Rtnl.RTMSG_LEN;
        while (end - a >= Rtnl.NLA_HDRLEN) {
            int aLen = buf.getShort(a) & 0xffff;
            if (aLen < Rtnl.NLA_HDRLEN || aLen > end - a) {
                return -1;
            }
            int aType = buf.getShort(a + 2) & Rtnl.NLA_TYPE_MASK;
            int p = a + Rtnl.NLA_HDRLEN;
            int pLen = aLen - Rtnl.NLA_HDRLEN;
            if (aType == Rtnl.RTA_OIF && pLen >= 4) {
                oif = buf.getInt(p);
            } else if (aType == Rtnl.RTA_MULTIPATH && pLen >= Rtnl.RTNH_LEN && oif == 0) {
                oif = buf.getInt(p + 4);
            }
            a += Math.min(Rtnl.align(aLen), end - a);
        }
        return ((long) type << 32) | (oif & 0xffffffffL);
    }

    private static InetAddress nextHopGateway(ByteBuffer buf, int off, int len, int addrLen) {
        int end = off + Math.max(len, 0);
        int a = off;
        InetAddress found = null;
        while (end - a >= Rtnl.NLA_HDRLEN) {
            int aLen = buf.getShort(a) & 0xffff;
            if (aLen < Rtnl.NLA_HDRLEN || aLen > end - a) {
                return found;
            }
            int aType = buf.getShort(a + 2) & Rtnl.NLA_TYPE_MASK;
            if (aType == Rtnl.RTA_GATEWAY || aType == Rtnl.RTA_VIA) {
                found = gateway(buf, a + Rtnl.NLA_HDRLEN, aLen - Rtnl.NLA_HDRLEN, aType, addrLen);
            }
            a += Math.min(Rtnl.align(aLen), end - a);
        }
        return found;
    }

    /** RTA_GATEWAY holds an address of the route's family; RTA_VIA a u16 family then an address. */
    private static InetAddress gateway(ByteBuffer buf, int p, int pLen, int aType, int addrLen) {
        int at = p;
        int n = addrLen;
        if (aType == Rtnl.RTA_VIA) {
            if (pLen < 2) {
                return null;
            }
            int viaFamily = buf.getShort(p) & 0xffff;
            n = viaFamily == Native.AF_INET ? 4 : viaFamily == Native.AF_INET6 ? 16 : -1;
            at = p + 2;
            pLen -= 2;
        }
        if (n < 0 || pLen != n) {
            return null;
        }
        byte[] bytes = new byte[n];
        buf.get(at, bytes);
        return inet(bytes, -1);
    }

    static boolean isLinkLocal(byte[] a) {
        if (a.length == 4) {
            return (a[0] & 0xff) == 169 && (a[1] & 0xff) == 254;
        }
        return (a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80;
    }

    /** An address object for 4 or 16 bytes; IPv6 gets scopeId when it is >= 0. */
    static InetAddress inet(byte[] bytes, int scopeId) {
        try {
            if (bytes.length == 16) {
                // Inet6Address even for v4-mapped bytes, which InetAddress.getByAddress would fold to IPv4.
                return Inet6Address.getByAddress(null, bytes, scopeId);
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String cString(ByteBuffer buf, int off, int len) {
        int n = 0;
        while (n < len && buf.get(off + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        buf.get(off, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static long mac(ByteBuffer buf, int off) {
        long m = 0;
        for (int i = 0; i < 6; i++) {
            m = (m << 8) | (buf.get(off + i) & 0xff);
        }
        return m;
    }
}
