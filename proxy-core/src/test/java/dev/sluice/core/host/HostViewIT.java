package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HostView.read() inside a namespace built with known links, addresses and routes (root). */
class HostViewIT {
    private static final TestNetns NETNS = new TestNetns();
    private static String h;
    private static int nsFd = -1;

    @BeforeAll
    static void topology() throws Exception {
        try {
            h = NETNS.create("hv-h");
            String p = NETNS.create("hv-p");
            for (String x : new String[] {"0", "1"}) {
                TestNetns.ip(h, "link", "add", "hv" + x, "type", "veth", "peer", "name", "pv" + x, "netns", p);
                // No automatic fe80:: addresses: the test knows every address there is.
                TestNetns.ip(h, "link", "set", "hv" + x, "addrgenmode", "none");
                TestNetns.ip(p, "link", "set", "pv" + x, "addrgenmode", "none");
                TestNetns.ip(p, "link", "set", "pv" + x, "up");
            }
            TestNetns.ip(h, "link", "set", "hv0", "address", "02:00:00:77:00:01", "mtu", "1400", "up");
            TestNetns.ip(h, "link", "set", "hv1", "address", "02:00:00:66:00:01", "up");
            TestNetns.ip(h, "addr", "add", "10.77.0.1/24", "dev", "hv0");
            TestNetns.ip(h, "addr", "add", "fd77::1/64", "dev", "hv0", "nodad");
            TestNetns.ip(h, "addr", "add", "10.66.0.1/24", "dev", "hv1");
            TestNetns.ip(h, "addr", "add", "fd66::1/64", "dev", "hv1", "nodad");
            TestNetns.ip(h, "route", "add", "default", "via", "10.77.0.254", "dev", "hv0", "metric", "10");
            TestNetns.ip(h, "route", "add", "default", "via", "10.66.0.254", "dev", "hv1", "metric", "20");
            TestNetns.ip(h, "-6", "route", "add", "default", "via", "fd77::fe", "dev", "hv0", "metric", "5");
            TestNetns.ip(h, "-6", "route", "add", "default", "via", "fd66::fe", "dev", "hv1", "metric", "1");
            TestNetns.ip(h, "route", "add", "default", "via", "10.77.0.253", "dev", "hv0", "table", "7");
            nsFd = Netns.open(h);
        } catch (Exception e) {
            cleanup();
            throw e;
        }
    }

    @AfterAll
    static void cleanup() throws Exception {
        try {
            Fds.close(nsFd);
        } finally {
            NETNS.close();
        }
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void seesExactlyTheNamespacesInterfacesAddressesAndRoutes() throws Exception {
        HostView v = Netns.callIn(nsFd, HostView::read);
        int i0 = TestNetns.ifIndex(h, "hv0");
        int i1 = TestNetns.ifIndex(h, "hv1");

        assertEquals(List.of(
                new HostInterface(1, "lo", 65536, 0, true, true, List.of(
                        new HostAddress(ip("127.0.0.1"), 8, 1, false),
                        new HostAddress(ip("::1"), 128, 1, false))),
                new HostInterface(i0, "hv0", 1400, 0x02_00_00_77_00_01L, true, false, List.of(
                        new HostAddress(ip("10.77.0.1"), 24, i0, false),
                        new HostAddress(ip("fd77::1"), 64, i0, false))),
                new HostInterface(i1, "hv1", 1500, 0x02_00_00_66_00_01L, true, false, List.of(
                        new HostAddress(ip("10.66.0.1"), 24, i1, false),
                        new HostAddress(ip("fd66::1"), 64, i1, false)))),
                v.interfaces());

        assertEquals(new HostRoute(4, ip("10.77.0.254"), i0, 10), v.defaultRoute(4).orElseThrow());
        assertEquals(new HostRoute(6, ip("fd66::fe"), i1, 1), v.defaultRoute(6).orElseThrow());
        assertEquals(4, v.defaultRoutes().size(), "table 7's default is not the main table's: " + v);
        assertEquals(6, v.allAddresses().size());
    }

    @Test
    void linkLocalAddressIsMarkedAndScoped() throws Exception {
        TestNetns.ip(h, "addr", "add", "fe80::77/64", "dev", "hv0", "nodad");
        try {
            HostView v = Netns.callIn(nsFd, HostView::read);
            HostAddress ll = v.byName("hv0").orElseThrow().addresses().stream()
                    .filter(HostAddress::linkLocal).findFirst().orElseThrow();
            assertEquals(ip("fe80::77"), ll.address());
            assertEquals(TestNetns.ifIndex(h, "hv0"), ((java.net.Inet6Address) ll.address()).getScopeId());
        } finally {
            TestNetns.ip(h, "addr", "del", "fe80::77/64", "dev", "hv0");
        }
    }

    @Test
    void callerNamespaceIsUntouched() throws Exception {
        String before = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
        String inside = Netns.callIn(nsFd, () ->
                java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString());
        String after = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
        assertEquals(before, after);
        assertTrue(!inside.equals(before), inside + " vs " + before);
    }
}
