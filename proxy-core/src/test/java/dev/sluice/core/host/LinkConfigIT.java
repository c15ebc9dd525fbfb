package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** LinkConfig on a tap in its own namespace, checked with `ip -n NS` (root). */
class LinkConfigIT {

    @Test
    void configuresTheTapLikePastaConfigNet() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String g = netns.create("lc-g");
            int nsFd = Netns.open(g);
            int tap = -1;
            try {
                tap = Tun.openTap(nsFd, "tap0");
                LinkConfig.setMac(nsFd, "tap0", 0x02_00_00_00_00_42L);
                LinkConfig.setUp(nsFd, "tap0", 1400);
                LinkConfig.addAddress(nsFd, "tap0", InetAddress.getByName("10.77.0.2"), 24);
                LinkConfig.addAddress(nsFd, "tap0", InetAddress.getByName("fd77::2"), 64);
                LinkConfig.addAddress(nsFd, "tap0", InetAddress.getByName("10.77.0.2"), 24); // repeat: harmless
                LinkConfig.addDefaultRoute(nsFd, "tap0", InetAddress.getByName("10.77.0.1"));
                LinkConfig.addDefaultRoute(nsFd, "tap0", InetAddress.getByName("fd77::1"));

                String link = TestNetns.ip(g, "link", "show", "tap0");
                assertTrue(link.contains("mtu 1400"), link);
                assertTrue(link.contains(",UP"), link);
                assertTrue(link.contains("link/ether 02:00:00:00:00:42"), link);
                String addr = TestNetns.ip(g, "-o", "addr", "show", "dev", "tap0");
                assertTrue(addr.contains("inet 10.77.0.2/24"), addr);
                assertTrue(addr.contains("inet6 fd77::2/64"), addr);
                assertEquals(1, addr.split("inet 10.77.0.2/24", -1).length - 1, addr);
                assertTrue(TestNetns.ip(g, "route", "show", "default").startsWith("default via 10.77.0.1 dev tap0"));
                assertTrue(TestNetns.ip(g, "-6", "route", "show", "default").startsWith("default via fd77::1 dev tap0"));

                // A gateway outside the address's subnet (passt's -a with another network): onlink.
                LinkConfig.addDefaultRoute(nsFd, "tap0", InetAddress.getByName("10.66.0.1"));
                String v4 = TestNetns.ip(g, "route", "show", "default");
                assertTrue(v4.startsWith("default via 10.66.0.1 dev tap0") && v4.contains("onlink"), v4);

                // Same for IPv6 (EHOSTUNREACH there).
                LinkConfig.addDefaultRoute(nsFd, "tap0", InetAddress.getByName("fd66::1"));
                String v6 = TestNetns.ip(g, "-6", "route", "show", "default");
                assertTrue(v6.startsWith("default via fd66::1 dev tap0") && v6.contains("onlink"), v6);
                LinkConfig.addDefaultRoute(nsFd, "tap0", InetAddress.getByName("fd77::1"));

                // And HostView reads back what was written.
                HostView v = Netns.callIn(nsFd, HostView::read);
                HostInterface t = v.byName("tap0").orElseThrow();
                assertEquals(1400, t.mtu());
                assertEquals(0x02_00_00_00_00_42L, t.mac());
                assertEquals(InetAddress.getByName("10.66.0.1"), v.defaultRoute(4).orElseThrow().gateway());
                assertEquals(InetAddress.getByName("fd77::1"), v.defaultRoute(6).orElseThrow().gateway());
            } finally {
                Fds.close(tap);
                Fds.close(nsFd);
            }
        }
    }

    @Test
    void refusalsBecomeIoExceptionsWithTheErrno() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String g = netns.create("lc-e");
            int nsFd = Netns.open(g);
            try {
                IOException missing = assertThrows(IOException.class, () -> LinkConfig.setUp(nsFd, "nope0", 0));
                assertTrue(missing.getMessage().contains("ENODEV"), missing.getMessage());
                IOException refused = assertThrows(IOException.class,
                        () -> LinkConfig.setMac(nsFd, "lo", 0x01_00_5e_00_00_01L)); // multicast: not a station address
                assertTrue(refused.getMessage().startsWith("set MAC of lo: EADDRNOTAVAIL"), refused.getMessage());
            } finally {
                Fds.close(nsFd);
            }
        }
    }
}
