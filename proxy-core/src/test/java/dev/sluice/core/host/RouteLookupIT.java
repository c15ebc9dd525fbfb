package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * RouteLookup in a namespace of its own (root): what is local, on which
 * interface, and that an address is local the moment {@code ip addr add}
 * returns and no longer the moment {@code ip addr del} returns, with no
 * pause in between. Lookups send nothing on any link.
 */
class RouteLookupIT {

    @Test
    void localAddressesAndTheirInterfacesPerTheKernelAtTheMomentOfTheCall() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String h = netns.create("rl-h");
            TestNetns.ip(h, "link", "add", "a0", "type", "veth", "peer", "name", "a1");
            TestNetns.ip(h, "link", "set", "a0", "addrgenmode", "none");
            TestNetns.ip(h, "link", "set", "a1", "addrgenmode", "none");
            TestNetns.ip(h, "link", "set", "a0", "up");
            TestNetns.ip(h, "link", "set", "a1", "up");
            TestNetns.ip(h, "addr", "add", "10.66.0.1/24", "dev", "a0");
            TestNetns.ip(h, "addr", "add", "fd66::1/64", "dev", "a0", "nodad");
            TestNetns.ip(h, "addr", "add", "fe80::a0/64", "dev", "a0", "nodad");
            TestNetns.ip(h, "addr", "add", "fe80::a1/64", "dev", "a1", "nodad");
            int a0 = TestNetns.ifIndex(h, "a0");
            int a1 = TestNetns.ifIndex(h, "a1");
            int nsFd = Netns.open(h);
            try (RouteLookup rl = Netns.callIn(nsFd, RouteLookup::open)) {
                assertEquals(RouteLookup.RTN_LOCAL, rl.lookup(ip("10.66.0.1")));
                assertEquals(a0, rl.oif(), "the interface holding the address, not lo");
                assertEquals("a0", rl.interfaceName(rl.oif()));
                assertEquals(RouteLookup.RTN_BROADCAST, rl.lookup(ip("10.66.0.255")));
                assertEquals(a0, rl.localIndex(ip("10.66.0.255")));
                assertEquals(RouteLookup.RTN_UNICAST, rl.lookup(ip("10.66.0.2")));
                assertEquals(-1, rl.localIndex(ip("10.66.0.2")));
                assertEquals(RouteLookup.RTN_LOCAL, rl.lookup(ip("127.3.2.1")));
                assertEquals(1, rl.oif());
                assertEquals(a0, rl.localIndex(ip("fd66::1")));
                assertEquals(-1, rl.localIndex(ip("fd66::2")));
                // Nothing routes there (no default route in this namespace).
                assertEquals(RouteLookup.NO_ROUTE, rl.lookup(ip("10.55.0.1")));
                assertEquals(RouteLookup.NO_ROUTE, rl.lookup(ip("fd55::1")));

                // Link-local: the scope picks the interface; without one, any interface holding it.
                assertEquals(a0, rl.localIndex(Inet6Address.getByAddress(null, ip("fe80::a0").getAddress(), a0)));
                assertEquals(-1, rl.localIndex(Inet6Address.getByAddress(null, ip("fe80::a0").getAddress(), a1)));
                assertEquals(a1, rl.localIndex(Inet6Address.getByAddress(null, ip("fe80::a1").getAddress(), a1)));
                assertEquals(a0, rl.localIndex(ip("fe80::a0")));

                // Added: local on the very next lookup. Removed: gone on the very next one.
                for (int round = 0; round < 3; round++) {
                    TestNetns.ip(h, "addr", "add", "10.55.0.1/32", "dev", "a1");
                    assertEquals(a1, rl.localIndex(ip("10.55.0.1")), "round " + round);
                    TestNetns.ip(h, "addr", "del", "10.55.0.1/32", "dev", "a1");
                    assertEquals(-1, rl.localIndex(ip("10.55.0.1")), "round " + round);
                    TestNetns.ip(h, "addr", "add", "fd55::1/128", "dev", "a1", "nodad");
                    assertEquals(a1, rl.localIndex(ip("fd55::1")), "round " + round);
                    TestNetns.ip(h, "addr", "del", "fd55::1/128", "dev", "a1");
                    assertEquals(-1, rl.localIndex(ip("fd55::1")), "round " + round);
                }

                // A prohibit route answers "no route" (EACCES), not an error.
                TestNetns.ip(h, "route", "add", "prohibit", "192.0.2.0/24");
                assertEquals(RouteLookup.NO_ROUTE, rl.lookup(ip("192.0.2.1")));
                // An IPv6 router holds its subnets' anycast address: local too.
                TestNetns.exec(h, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
                assertEquals(RouteLookup.RTN_ANYCAST, rl.lookup(ip("fd66::")));
                assertEquals(a0, rl.oif());

                hotPathAllocatesNothing(rl);
            } finally {
                Fds.close(nsFd);
            }
        }
    }

    /** Many lookups, measuring this thread's allocations (a count of bytes, not a timing). */
    private static void hotPathAllocatesNothing(RouteLookup rl) throws Exception {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] v4 = ip("10.66.0.1").getAddress();
        byte[] v6 = ip("fd66::1").getAddress();
        long[] allocated = new long[2];
        for (int round = 0; round < 2; round++) { // the first round warms up
            long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 2000; i++) {
                int type = (i & 1) == 0 ? rl.lookup(v4, 0) : rl.lookup(v6, 0);
                if (type != RouteLookup.RTN_LOCAL) {
                    throw new AssertionError("lookup " + i + ": type " + type);
                }
            }
            allocated[round] = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        }
        System.out.println("route lookup: warm-up " + allocated[0] + " bytes, measured " + allocated[1]
                + " bytes over 2000 lookups");
        assertTrue(allocated[1] < 2000 * 8, "allocates per lookup: " + allocated[1] + " bytes");
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }
}
