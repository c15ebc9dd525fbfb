package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Assembles a HostView from real dumps of the "host" scenario in capture.sh. */
class HostViewTest {
    private static final HostView HOST = HostView.parse(
            Captures.load("host-links.bin"), Captures.load("host-addrs.bin"),
            Captures.load("host-routes4.bin"), Captures.load("host-routes6.bin"));

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void interfaces() throws Exception {
        assertEquals(List.of("lo", "ha", "hb"), HOST.interfaces().stream().map(HostInterface::name).toList());

        HostInterface lo = HOST.byName("lo").orElseThrow();
        assertEquals(new HostInterface(1, "lo", 65536, 0, true, true, List.of(
                new HostAddress(ip("127.0.0.1"), 8, 1, false),
                new HostAddress(ip("::1"), 128, 1, false))), lo);

        HostInterface ha = HOST.byIndex(2).orElseThrow();
        assertEquals(new HostInterface(2, "ha", 1400, 0x02_00_00_00_0a_01L, true, false, List.of(
                new HostAddress(ip("10.77.0.1"), 24, 2, false),
                new HostAddress(ip("fd77::1"), 64, 2, false))), ha);

        HostInterface hb = HOST.byName("hb").orElseThrow();
        assertEquals(new HostInterface(3, "hb", 1500, 0x02_00_00_00_0b_01L, true, false, List.of(
                new HostAddress(ip("10.66.0.1"), 24, 3, false),
                new HostAddress(ip("10.55.0.1"), 32, 3, false), // IFA_LOCAL, not the peer 10.55.0.2
                new HostAddress(ip("fd66::1"), 64, 3, false))), hb);

        assertTrue(HOST.byName("nope").isEmpty());
        assertTrue(HOST.byIndex(99).isEmpty());
        assertEquals(7, HOST.allAddresses().size());
    }

    @Test
    void defaultRoutesOfTheMainTableOnly() throws Exception {
        assertEquals(List.of(
                new HostRoute(4, ip("10.66.0.254"), 3, 50),
                new HostRoute(4, ip("10.77.0.254"), 2, 100),
                new HostRoute(6, ip("fe80::fe"), 2, 1024)), HOST.defaultRoutes());
        assertEquals(new HostRoute(4, ip("10.66.0.254"), 3, 50), HOST.defaultRoute(4).orElseThrow());
        HostRoute v6 = HOST.defaultRoute(6).orElseThrow();
        assertEquals(2, ((Inet6Address) v6.gateway()).getScopeId(), "link-local gateway scoped to its interface");
    }

    @Test
    void multipathDefaultRouteTakesTheFirstNextHop() throws Exception {
        HostView v = HostView.parse(Captures.load("multipath-routes6.bin"));
        assertEquals(new HostRoute(6, ip("fd77::fe"), 2, 1024), v.defaultRoute(6).orElseThrow());
        assertTrue(v.defaultRoute(4).isEmpty());
        assertTrue(v.interfaces().isEmpty());
    }

    @Test
    void lowestMetricWinsComparedUnsigned() throws Exception {
        byte[] a = route(4, new byte[] {10, 0, 0, 1}, 2, -1); // metric 0xffffffff
        byte[] b = route(4, new byte[] {10, 0, 0, 2}, 3, 7);
        ByteBuffer both = Captures.wrap(concat(a, b));
        assertEquals(ip("10.0.0.2"), HostView.parse(both).defaultRoute(4).orElseThrow().gateway());
    }

    @Test
    void linkLocalAddressesAreMarkedAndScoped() throws Exception {
        HostAddress a = RtnlParser.address(addrPayload(10, 64, 253, 5, ip("fe80::1").getAddress()), 0, 28);
        assertTrue(a.linkLocal());
        assertEquals(5, ((Inet6Address) a.address()).getScopeId());
        // scope universe, but in 169.254/16: still link-local
        HostAddress b = RtnlParser.address(addrPayload(2, 16, 0, 4, new byte[] {(byte) 169, (byte) 254, 1, 2}), 0, 16);
        assertTrue(b.linkLocal());
        HostAddress c = RtnlParser.address(addrPayload(10, 64, 0, 4, ip("fd77::1").getAddress()), 0, 28);
        assertFalse(c.linkLocal());
        assertEquals(0, ((Inet6Address) c.address()).getScopeId());
        assertNull(((Inet6Address) c.address()).getScopedInterface());
    }

    /** ifaddrmsg + IFA_ADDRESS. */
    static ByteBuffer addrPayload(int family, int prefix, int scope, int index, byte[] addr) {
        ByteBuffer b = Captures.wrap(new byte[8 + 4 + addr.length]);
        b.put(0, (byte) family).put(1, (byte) prefix).put(3, (byte) scope).putInt(4, index);
        b.putShort(8, (short) (4 + addr.length)).putShort(10, (short) Rtnl.IFA_ADDRESS).put(12, addr);
        return b;
    }

    /** A whole RTM_NEWROUTE message: default route in main table via gw on oif with metric. */
    static byte[] route(int family, byte[] gw, int oif, int metric) {
        int len = 16 + 12 + 8 + 8 + 4 + gw.length;
        ByteBuffer b = Captures.wrap(new byte[len]);
        b.putInt(0, len).putShort(4, (short) Rtnl.RTM_NEWROUTE).putShort(6, (short) Rtnl.NLM_F_MULTI);
        b.put(16, (byte) (family == 4 ? 2 : 10)).put(20, (byte) 254).put(23, (byte) 1);
        b.putShort(28, (short) 8).putShort(30, (short) Rtnl.RTA_OIF).putInt(32, oif);
        b.putShort(36, (short) 8).putShort(38, (short) Rtnl.RTA_PRIORITY).putInt(40, metric);
        b.putShort(44, (short) (4 + gw.length)).putShort(46, (short) Rtnl.RTA_GATEWAY).put(48, gw);
        return b.array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
