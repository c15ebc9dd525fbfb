package dev.sluice.core.host;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Builds rtnetlink requests at index 0 of a native-order buffer and returns
 * their length (also set as the buffer's limit). Pure: the kernel sees these
 * through {@link NetlinkSocket}. Buffers must hold {@link #MAX_REQUEST} bytes.
 */
final class RtnlWriter {
    /** Larger than any request written here. */
    static final int MAX_REQUEST = 128;

    private RtnlWriter() {
    }

    /** A dump request (NLM_F_REQUEST|NLM_F_DUMP) for RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE. */
    static int dump(ByteBuffer b, int type, int family, int seq) {
        int body = switch (type) {
            case Rtnl.RTM_GETLINK -> Rtnl.IFINFOMSG_LEN;
            case Rtnl.RTM_GETADDR -> Rtnl.IFADDRMSG_LEN;
            case Rtnl.RTM_GETROUTE -> Rtnl.RTMSG_LEN;
            default -> throw new IllegalArgumentException("not a dump type: " + type);
        };
        clear(b, Rtnl.NLMSG_HDRLEN + body);
        header(b, type, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq);
        b.put(Rtnl.NLMSG_HDRLEN, (byte) family);
        return finish(b, Rtnl.NLMSG_HDRLEN + body);
    }

    /**
     * RTM_NEWLINK changing the flags selected by {@code change} to {@code flags}, plus the MTU
     * when mtu > 0 and the MAC when mac >= 0.
     */
    static int setLink(ByteBuffer b, int seq, int ifIndex, int flags, int change, int mtu, long mac) {
        clear(b, MAX_REQUEST);
        header(b, Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, seq);
        int p = Rtnl.NLMSG_HDRLEN;
        b.put(p, (byte) 0); // AF_UNSPEC
        b.putInt(p + 4, ifIndex);
        b.putInt(p + 8, flags);
        b.putInt(p + 12, change);
        p += Rtnl.IFINFOMSG_LEN;
        if (mtu > 0) {
            p = attrInt(b, p, Rtnl.IFLA_MTU, mtu);
        }
        if (mac >= 0) {
            b.putShort(p, (short) (Rtnl.NLA_HDRLEN + 6));
            b.putShort(p + 2, (short) Rtnl.IFLA_ADDRESS);
            for (int i = 0; i < 6; i++) {
                b.put(p + 4 + i, (byte) (mac >>> (40 - 8 * i)));
            }
            p += Rtnl.align(Rtnl.NLA_HDRLEN + 6);
        }
        return finish(b, p);
    }

    /**
     * RTM_NEWADDR with NLM_F_CREATE|NLM_F_REPLACE, so repeating it is harmless. IPv6 addresses
     * skip duplicate address detection (IFA_F_NODAD): the tap's only other user is our guest.
     */
    static int addAddress(ByteBuffer b, int seq, int ifIndex, InetAddress addr, int prefixLen) {
        byte[] a = addr.getAddress();
        boolean v4 = addr instanceof Inet4Address;
        clear(b, MAX_REQUEST);
        header(b, Rtnl.RTM_NEWADDR,
                Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_REPLACE, seq);
        int p = Rtnl.NLMSG_HDRLEN;
        b.put(p, (byte) (v4 ? Native.AF_INET : Native.AF_INET6));
        b.put(p + 1, (byte) prefixLen);
        b.put(p + 2, (byte) (v4 ? 0 : Rtnl.IFA_F_NODAD));
        b.put(p + 3, (byte) (RtnlParser.isLinkLocal(a) ? Rtnl.RT_SCOPE_LINK : Rtnl.RT_SCOPE_UNIVERSE));
        b.putInt(p + 4, ifIndex);
        p += Rtnl.IFADDRMSG_LEN;
        if (v4) {
            p = attrBytes(b, p, Rtnl.IFA_LOCAL, a);
        }
        p = attrBytes(b, p, Rtnl.IFA_ADDRESS, a);
        return finish(b, p);
    }

    /** RTM_NEWROUTE for a main-table default route via gateway on ifIndex (create or replace). */
    static int addDefaultRoute(ByteBuffer b, int seq, int ifIndex, InetAddress gateway, boolean onLink) {
        byte[] g = gateway.getAddress();
        clear(b, MAX_REQUEST);
        header(b, Rtnl.RTM_NEWROUTE,
                Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | Rtnl.NLM_F_CREATE | Rtnl.NLM_F_REPLACE, seq);
        int p = Rtnl.NLMSG_HDRLEN;
        b.put(p, (byte) (g.length == 4 ? Native.AF_INET : Native.AF_INET6));
        b.put(p + 4, (byte) Rtnl.RT_TABLE_MAIN);
        b.put(p + 5, (byte) Rtnl.RTPROT_BOOT);
        b.put(p + 6, (byte) Rtnl.RT_SCOPE_UNIVERSE);
        b.put(p + 7, (byte) Rtnl.RTN_UNICAST);
        b.putInt(p + 8, onLink ? Rtnl.RTNH_F_ONLINK : 0);
        p += Rtnl.RTMSG_LEN;
        p = attrInt(b, p, Rtnl.RTA_OIF, ifIndex);
        p = attrBytes(b, p, Rtnl.RTA_GATEWAY, g);
        return finish(b, p);
    }

    /**
     * RTM_GETROUTE for one destination (4 or 16 bytes), asking for the FIB entry that matches
     * (RTM_F_FIB_MATCH): for a local address that is the local-table route on the interface
     * holding it, where a plain lookup would name {@code lo}. oif > 0 adds RTA_OIF, the scope
     * of an IPv6 link-local destination. No NLM_F_ACK: the answer is the reply or an error.
     * Writes nothing but the request's bytes, so it allocates nothing.
     */
    static int getRoute(ByteBuffer b, int seq, byte[] dst, int oif) {
        if (dst.length != 4 && dst.length != 16) {
            throw new IllegalArgumentException("address must have 4 or 16 bytes, not " + dst.length);
        }
        int len = Rtnl.NLMSG_HDRLEN + Rtnl.RTMSG_LEN + Rtnl.NLA_HDRLEN + dst.length + (oif > 0 ? Rtnl.NLA_HDRLEN + 4 : 0);
        clear(b, len);
        header(b, Rtnl.RTM_GETROUTE, Rtnl.NLM_F_REQUEST, seq);
        int p = Rtnl.NLMSG_HDRLEN;
        b.put(p, (byte) (dst.length == 4 ? Native.AF_INET : Native.AF_INET6));
        b.put(p + 1, (byte) (dst.length * 8)); // rtm_dst_len: a host route
        b.putInt(p + 8, Rtnl.RTM_F_FIB_MATCH);
        p += Rtnl.RTMSG_LEN;
        p = attrBytes(b, p, Rtnl.RTA_DST, dst);
        if (oif > 0) {
            p = attrInt(b, p, Rtnl.RTA_OIF, oif);
        }
        return finish(b, p);
    }

    /** RTM_GETLINK for one interface index (not a dump): the reply is that link's RTM_NEWLINK. */
    static int getLink(ByteBuffer b, int seq, int ifIndex) {
        clear(b, Rtnl.NLMSG_HDRLEN + Rtnl.IFINFOMSG_LEN);
        header(b, Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST, seq);
        b.putInt(Rtnl.NLMSG_HDRLEN + 4, ifIndex);
        return finish(b, Rtnl.NLMSG_HDRLEN + Rtnl.IFINFOMSG_LEN);
    }

    private static void clear(ByteBuffer b, int n) {
        b.clear();
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) 0);
        }
    }

    private static void header(ByteBuffer b, int type, int flags, int seq) {
        b.putShort(4, (short) type);
        b.putShort(6, (short) flags);
        b.putInt(8, seq);
        b.putInt(12, 0); // pid 0: to the kernel
    }

    private static int finish(ByteBuffer b, int len) {
        b.putInt(0, len);
        b.limit(len);
        return len;
    }

    private static int attrInt(ByteBuffer b, int p, int type, int value) {
        b.putShort(p, (short) (Rtnl.NLA_HDRLEN + 4));
        b.putShort(p + 2, (short) type);
        b.putInt(p + 4, value);
        return p + Rtnl.NLA_HDRLEN + 4;
    }

    private static int attrBytes(ByteBuffer b, int p, int type, byte[] value) {
        b.putShort(p, (short) (Rtnl.NLA_HDRLEN + value.length));
        b.putShort(p + 2, (short) type);
        b.put(p + Rtnl.NLA_HDRLEN, value);
        return p + Rtnl.align(Rtnl.NLA_HDRLEN + value.length);
    }
}
