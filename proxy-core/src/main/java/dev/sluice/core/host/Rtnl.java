package dev.sluice.core.host;

/**
 * rtnetlink constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
 * linux/if_addr.h) and the alignment rule. Netlink headers and attributes are
 * in host byte order; addresses inside attributes are in network order.
 */
final class Rtnl {
    private Rtnl() {
    }

    static final int NETLINK_ROUTE = 0;

    /** struct nlmsghdr: u32 len, u16 type, u16 flags, u32 seq, u32 pid. */
    static final int NLMSG_HDRLEN = 16;
    static final int NLA_HDRLEN = 4;
    /** Strips NLA_F_NESTED and NLA_F_NET_BYTEORDER from an attribute type. */
    static final int NLA_TYPE_MASK = 0x3fff;

    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;

    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int RTM_GETROUTE = 26;

    /** struct ifinfomsg: u8 family, u8 pad, u16 type, s32 index, u32 flags, u32 change. */
    static final int IFINFOMSG_LEN = 16;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFF_UP = 0x1;
    static final int IFF_LOOPBACK = 0x8;

    /** struct ifaddrmsg: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index. */
    static final int IFADDRMSG_LEN = 8;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_FLAGS = 8;
    static final int IFA_F_NODAD = 0x02;

    /** struct rtmsg: u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags. */
    static final int RTMSG_LEN = 12;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PRIORITY = 6;
    static final int RTA_MULTIPATH = 9;
    static final int RTA_TABLE = 15;
    static final int RTA_VIA = 18;
    /** struct rtnexthop: u16 len, u8 flags, u8 hops, s32 ifindex. */
    static final int RTNH_LEN = 8;
    static final int RTNH_F_ONLINK = 0x4;

    static final int RT_TABLE_MAIN = 254;
    static final int RTN_UNICAST = 1;
    static final int RTN_LOCAL = 2;
    static final int RTN_BROADCAST = 3;
    static final int RTN_ANYCAST = 4;
    static final int RTN_MULTICAST = 5;
    /** rtm_flags of RTM_GETROUTE: answer with the FIB entry that matched, not the resolved route (Linux 4.13+). */
    static final int RTM_F_FIB_MATCH = 0x2000;
    static final int RTPROT_BOOT = 3;
    static final int RT_SCOPE_UNIVERSE = 0;
    static final int RT_SCOPE_LINK = 253;

    static final int RTMGRP_LINK = 0x1;
    static final int RTMGRP_IPV4_IFADDR = 0x10;
    static final int RTMGRP_IPV6_IFADDR = 0x100;

    static int align(int n) {
        return (n + 3) & ~3;
    }
}
