package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Requests byte for byte. Headers are in host order: the expected bytes are
 * little-endian, as on x86_64, the only platform Sluice supports. The IT
 * tests show the kernel accepts them.
 */
class RtnlWriterTest {
    private final ByteBuffer b = Native.direct(RtnlWriter.MAX_REQUEST);

    private static String hex(ByteBuffer b, int len) {
        assertEquals(len, b.limit());
        assertEquals(len, b.getInt(0), "nlmsg_len");
        byte[] out = new byte[len];
        b.get(0, out);
        return HexFormat.of().formatHex(out);
    }

    private static String h(String spaced) {
        return spaced.replace(" ", "");
    }

    @Test
    void dumpRequests() {
        int n = RtnlWriter.dump(b, Rtnl.RTM_GETLINK, 0, 7);
        assertEquals(h("20000000 1200 0103 07000000 00000000  00000000 00000000 00000000 00000000"), hex(b, n));
        n = RtnlWriter.dump(b, Rtnl.RTM_GETADDR, 0, 8);
        assertEquals(h("18000000 1600 0103 08000000 00000000  00000000 00000000"), hex(b, n));
        n = RtnlWriter.dump(b, Rtnl.RTM_GETROUTE, Native.AF_INET6, 9);
        assertEquals(h("1c000000 1a00 0103 09000000 00000000  0a000000 00000000 00000000"), hex(b, n));
        assertThrows(IllegalArgumentException.class, () -> RtnlWriter.dump(b, Rtnl.RTM_NEWLINK, 0, 1));
    }

    @Test
    void linkUpWithMtu() {
        int n = RtnlWriter.setLink(b, 2, 5, Rtnl.IFF_UP, Rtnl.IFF_UP, 1400, -1);
        assertEquals(h("28000000 1000 0500 02000000 00000000"
                + " 00000000 05000000 01000000 01000000"
                + " 0800 0400 78050000"), hex(b, n));
    }

    @Test
    void macOnly() {
        int n = RtnlWriter.setLink(b, 3, 5, 0, 0, 0, 0x02_00_00_00_0a_01L);
        assertEquals(h("2c000000 1000 0500 03000000 00000000"
                + " 00000000 05000000 00000000 00000000"
                + " 0a00 0100 020000000a01 0000"), hex(b, n));
    }

    @Test
    void ipv4Address() throws Exception {
        int n = RtnlWriter.addAddress(b, 1, 5, InetAddress.getByName("10.77.0.2"), 24);
        assertEquals(h("28000000 1400 0505 01000000 00000000"
                + " 02 18 00 00 05000000"
                + " 0800 0200 0a4d0002"      // IFA_LOCAL
                + " 0800 0100 0a4d0002"), hex(b, n)); // IFA_ADDRESS
    }

    @Test
    void ipv6AddressSkipsDad() throws Exception {
        int n = RtnlWriter.addAddress(b, 1, 5, InetAddress.getByName("fd77::2"), 64);
        assertEquals(h("2c000000 1400 0505 01000000 00000000"
                + " 0a 40 02 00 05000000"
                + " 1400 0100 fd770000000000000000000000000002"), hex(b, n));
        n = RtnlWriter.addAddress(b, 1, 5, InetAddress.getByName("fe80::2"), 64);
        assertEquals((byte) Rtnl.RT_SCOPE_LINK, b.get(16 + 3), "link-local gets scope link");
    }

    @Test
    void defaultRoutes() throws Exception {
        int n = RtnlWriter.addDefaultRoute(b, 3, 5, InetAddress.getByName("10.77.0.254"), false);
        assertEquals(h("2c000000 1800 0505 03000000 00000000"
                + " 02 00 00 00 fe 03 00 01 00000000"
                + " 0800 0400 05000000"
                + " 0800 0500 0a4d00fe"), hex(b, n));
        n = RtnlWriter.addDefaultRoute(b, 4, 5, InetAddress.getByName("fd77::fe"), true);
        assertEquals(h("38000000 1800 0505 04000000 00000000"
                + " 0a 00 00 00 fe 03 00 01 04000000"
                + " 0800 0400 05000000"
                + " 1400 0500 fd7700000000000000000000000000fe"), hex(b, n));
    }

    @Test
    void routeLookups() throws Exception {
        int n = RtnlWriter.getRoute(b, 4, InetAddress.getByName("10.66.0.1").getAddress(), 0);
        // RTM_GETROUTE, NLM_F_REQUEST; rtmsg AF_INET dst_len 32, flags RTM_F_FIB_MATCH; RTA_DST
        assertEquals(h("24000000 1a00 0100 04000000 00000000"
                + " 02200000 00000000 00200000"
                + " 0800 0100 0a420001"), hex(b, n));
        n = RtnlWriter.getRoute(b, 5, InetAddress.getByName("fe80::1").getAddress(), 3);
        assertEquals(h("38000000 1a00 0100 05000000 00000000"
                + " 0a800000 00000000 00200000"
                + " 1400 0100 fe800000000000000000000000000001"
                + " 0800 0400 03000000"), hex(b, n));
        assertThrows(IllegalArgumentException.class, () -> RtnlWriter.getRoute(b, 1, new byte[5], 0));
        n = RtnlWriter.getLink(b, 6, 3);
        assertEquals(h("20000000 1200 0100 06000000 00000000  00000000 03000000 00000000 00000000"), hex(b, n));
    }

    @Test
    void requestsParseBackWithTheParser() throws Exception {
        int n = RtnlWriter.addAddress(b, 1, 9, InetAddress.getByName("10.66.0.7"), 16);
        HostAddress a = RtnlParser.address(b, 16, n - 16);
        assertEquals(new HostAddress(InetAddress.getByName("10.66.0.7"), 16, 9, false), a);
        n = RtnlWriter.addDefaultRoute(b, 1, 9, InetAddress.getByName("10.66.0.254"), false);
        assertEquals(new HostRoute(4, InetAddress.getByName("10.66.0.254"), 9, 0), RtnlParser.defaultRoute(b, 16, n - 16));
    }
}
