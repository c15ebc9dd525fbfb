package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Interface configuration inside a namespace over rtnetlink (what pasta's
 * --config-net does): link up and MTU, addresses, default routes, MAC. Each
 * call enters the namespace through {@link Netns#callIn} (a negative nsFd
 * means the caller's own) and waits for the kernel's acknowledgement; a refusal
 * becomes an IOException naming the errno. Writes are create-or-replace, so
 * repeating one is harmless.
 */
public final class LinkConfig {
    private LinkConfig() {
    }

    /** Sets the link up, and its MTU when mtu > 0. */
    public static void setUp(int nsFd, String ifName, int mtu) throws IOException {
        inNs(nsFd, ifName, "set " + ifName + " up", (nl, index, s) ->
                RtnlWriter.setLink(nl.tx(), s, index, Rtnl.IFF_UP, Rtnl.IFF_UP, mtu, -1));
    }

    /** Adds (or replaces) addr/prefixLen; IPv6 addresses skip duplicate address detection. */
    public static void addAddress(int nsFd, String ifName, InetAddress addr, int prefixLen) throws IOException {
        int max = addr.getAddress().length * 8;
        if (prefixLen < 0 || prefixLen > max) {
            throw new IllegalArgumentException("prefix length " + prefixLen + " out of 0.." + max);
        }
        inNs(nsFd, ifName, "add " + addr.getHostAddress() + "/" + prefixLen + " to " + ifName,
                (nl, index, s) -> RtnlWriter.addAddress(nl.tx(), s, index, addr, prefixLen));
    }

    /**
     * Adds (or replaces) the main-table default route of the gateway's family via gateway on
     * ifName. A gateway outside every on-link prefix is retried as "onlink", as pasta does
     * when the guest's address and the host's gateway are in different subnets.
     */
    public static void addDefaultRoute(int nsFd, String ifName, InetAddress gateway) throws IOException {
        String what = "default route via " + gateway.getHostAddress() + " dev " + ifName;
        try {
            inNs(nsFd, ifName, what, (nl, index, s) ->
                    RtnlWriter.addDefaultRoute(nl.tx(), s, index, gateway, false));
        } catch (NetlinkSocket.NetlinkException e) {
            // Unreachable gateway: ENETUNREACH for IPv4, EHOSTUNREACH for IPv6.
            if (e.errno() != Native.ENETUNREACH && e.errno() != Native.EHOSTUNREACH) {
                throw e;
            }
            inNs(nsFd, ifName, what + " onlink", (nl, index, s) ->
                    RtnlWriter.addDefaultRoute(nl.tx(), s, index, gateway, true));
        }
    }

    /** Sets the 48-bit MAC address (a tap accepts this while up; most other links only while down). */
    public static void setMac(int nsFd, String ifName, long mac) throws IOException {
        if (mac < 0 || mac > 0xffff_ffff_ffffL) {
            throw new IllegalArgumentException("not a 48-bit MAC: " + Long.toHexString(mac));
        }
        inNs(nsFd, ifName, "set MAC of " + ifName, (nl, index, s) ->
                RtnlWriter.setLink(nl.tx(), s, index, 0, 0, 0, mac));
    }

    /** Index of ifName in the calling thread's namespace, or an IOException if there is none. */
    static int ifIndex(String ifName) throws IOException {
        Native.checkIfName(ifName);
        ByteBuffer name = Native.cString(ifName);
        int index = Native.LIBC.if_nametoindex(Native.address(name));
        Reference.reachabilityFence(name);
        if (index == 0) {
            throw Native.failure("no interface " + ifName);
        }
        return index;
    }

    private interface Request {
        void build(NetlinkSocket nl, int ifIndex, int seq);
    }

    private static void inNs(int nsFd, String ifName, String what, Request request) throws IOException {
        Native.checkIfName(ifName);
        try {
            Netns.callIn(nsFd, () -> {
                int index = ifIndex(ifName);
                try (NetlinkSocket nl = NetlinkSocket.open(0, false)) {
                    int s = nl.nextSeq();
                    request.build(nl, index, s);
                    nl.request(s, what);
                }
                return null;
            });
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(what, e);
        }
    }
}
