package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.HostAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveHostViewTest {
    @Test
    void readsTheHostsInterfaces() throws Exception {
        try (LiveHostView view = LiveHostView.fromNetworkInterfaces()) {
            assertTrue(view.localAddresses().contains(ip("127.0.0.1")), view.addresses().toString());
            assertTrue(view.interfaceNames().contains("lo"), view.interfaceNames().toString());
            // Every address the kernel lists is local per the kernel.
            for (HostAddress a : view.addresses()) {
                if (!a.address().isLinkLocalAddress()) {
                    assertTrue(LiveHostView.bindSucceeds(a.address()), a.toString());
                }
                // ...and so says the route lookup, naming the interface that holds it (the kernel
                // drops the local routes of an interface that is down).
                if (java.net.NetworkInterface.getByName(a.interfaceName()).isUp()) {
                    assertEquals(a.interfaceName(), view.localInterface(a.address()), a.toString());
                }
            }
        }
    }

    @Test
    void bindProbeTellsLocalFromForeignWithoutSendingAnything() {
        assertTrue(LiveHostView.bindSucceeds(ip("127.0.0.1")));
        assertTrue(LiveHostView.bindSucceeds(ip("127.1.2.3"))); // all of 127/8 is local on Linux
        assertFalse(LiveHostView.bindSucceeds(ip("192.0.2.1"))); // TEST-NET-1: nobody's
        assertFalse(LiveHostView.bindSucceeds(ip("2001:db8::1"))); // documentation prefix
        assertFalse(LiveHostView.bindSucceeds(ip("224.0.0.1")));
    }

    @Test
    void everyAddressOutsideTheFixedClassesIsAskedOfTheKernel() throws Exception {
        List<InetAddress> probed = new ArrayList<>();
        LiveHostView view = new LiveHostView(List.of(new HostAddress("eth0", 2, ip("10.77.0.1"), 24)), a -> {
            probed.add(a);
            if (a.equals(ip("10.66.0.1"))) {
                return 7; // "just added" on an interface the view has not heard of
            }
            return a.equals(ip("fd77::1")) ? 2 : -1; // 10.77.0.1: "removed a moment ago"
        });
        // Fixed classes: no kernel query.
        for (String local : new String[] {"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::"}) {
            assertEquals("lo", view.localInterface(ip(local)), local);
            assertTrue(view.isLocal(ip(local)), local);
        }
        for (String never : new String[] {"255.255.255.255", "224.0.0.1", "ff02::1"}) {
            assertNull(view.localInterface(ip(never)), never);
        }
        assertNull(view.localInterface(null));
        assertEquals(List.of(), probed);

        // The list says local, the kernel says no longer: the kernel wins.
        assertFalse(view.isLocal(ip("10.77.0.1")));
        // The list has not heard of it yet, the kernel has.
        assertEquals("if7", view.localInterface(ip("10.66.0.1")));
        assertEquals("eth0", view.localInterface(ip("fd77::1")));
        assertFalse(view.isLocal(ip("10.99.0.1")));
        // An IPv4-mapped IPv6 address is what a dual-stack socket would reach: its IPv4 address.
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 66, 0, 1}, -1);
        assertEquals("if7", view.localInterface(mapped));
        assertEquals(List.of(ip("10.77.0.1"), ip("10.66.0.1"), ip("fd77::1"), ip("10.99.0.1"), ip("10.66.0.1")), probed);

        view.linkChanged(true, 7, "dum0");
        assertEquals("dum0", view.localInterface(ip("10.66.0.1")));
    }

    @Test
    void withoutAKernelTheListDecides() {
        LiveHostView failing = new LiveHostView(List.of(new HostAddress("eth0", 2, ip("10.77.0.1"), 24)), a -> {
            throw new java.io.IOException("no netlink");
        });
        assertEquals("eth0", failing.localInterface(ip("10.77.0.1")));
        assertFalse(failing.isLocal(ip("10.66.0.1")));
        LiveHostView listOnly = new LiveHostView(List.of(), null);
        assertFalse(listOnly.isLocal(ip("10.66.0.1")));
        assertTrue(listOnly.isLocal(ip("127.0.0.1")));
    }

    @Test
    void linkEventsRenameAndRemove() {
        HostAddress a = new HostAddress("eth0", 2, ip("10.77.0.1"), 24);
        HostAddress b = new HostAddress("if3", 3, ip("10.66.0.1"), 24);
        LiveHostView view = new LiveHostView(List.of(a, b), null);
        long g = view.generation();
        view.linkChanged(true, 2, "eth0"); // nothing new
        assertEquals(g, view.generation());
        view.linkChanged(true, 3, "dum0");
        assertEquals(List.of(a, new HostAddress("dum0", 3, ip("10.66.0.1"), 24)), view.addresses());
        assertEquals(g + 1, view.generation());
        view.linkChanged(false, 3, "dum0");
        assertEquals(List.of(a), view.addresses());
        assertEquals(g + 2, view.generation());
        // A changed address (new prefix) replaces the old entry; removal matches on the index too.
        view.addressAdded(new HostAddress("eth0", 2, ip("10.77.0.1"), 16));
        assertEquals(List.of(new HostAddress("eth0", 2, ip("10.77.0.1"), 16)), view.addresses());
        view.addressRemoved(new HostAddress("renamed", 2, ip("10.77.0.1"), 16));
        assertEquals(List.of(), view.addresses());
    }

    @Test
    void eventsUpdateTheSnapshotAndGeneration() {
        HostAddress a = new HostAddress("eth0", 2, ip("10.77.0.1"), 24);
        HostAddress b = new HostAddress("eth1", 3, ip("fd66::1"), 64);
        LiveHostView view = new LiveHostView(List.of(a), null);
        long g = view.generation();
        view.addressAdded(b);
        assertEquals(List.of(a, b), view.addresses());
        assertEquals(g + 1, view.generation());
        view.addressAdded(b);
        assertEquals(g + 1, view.generation());
        assertTrue(view.isLocal(ip("fd66::1")));
        assertEquals(List.of(b), view.addressesOf("eth1"));
        view.addressRemoved(new HostAddress("eth1", 0, ip("fd66::1"), 0));
        assertFalse(view.isLocal(ip("fd66::1")));
        assertEquals(g + 2, view.generation());
        view.replaceAll(List.of(a));
        assertEquals(g + 2, view.generation()); // same set: no change
        view.replaceAll(List.of(b));
        assertEquals(List.of(b), view.addresses());
        assertEquals(g + 3, view.generation());
    }

    @Test
    void aKernelOnlyAddressTriggersARefresh() throws InterruptedException {
        try (LiveHostView view = new LiveHostView(List.of(), a -> 0)) {
            view.startPolling(java.time.Duration.ofHours(1));
            long g = view.generation();
            assertTrue(view.isLocal(ip("10.66.0.1")));
            for (int i = 0; i < 200 && view.generation() == g; i++) {
                Thread.sleep(50);
            }
            assertTrue(view.localAddresses().contains(ip("127.0.0.1")), view.addresses().toString());
        }
    }

    @Test
    void addressText() {
        assertEquals("fd77::50", AddressText.toString(ip("fd77:0:0:0:0:0:0:50")));
        assertEquals("::1", AddressText.toString(ip("::1")));
        assertEquals("::", AddressText.toString(ip("::")));
        assertEquals("1::", AddressText.toString(ip("1::")));
        assertEquals("2001:db8::1:0:0:1", AddressText.toString(ip("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", AddressText.toString(ip("2001:db8:0:1:1:1:1:1")));
        assertEquals("1:2:3:4:5:6:7:8", AddressText.toString(ip("1:2:3:4:5:6:7:8")));
        assertEquals("10.0.2.15", AddressText.toString(ip("10.0.2.15")));
    }

    @Test
    void interfaceExistenceComesFromTheKernelNotTheList() {
        LiveHostView empty = new LiveHostView(List.of(), null);
        assertTrue(empty.hasInterface("lo")); // in no list, but every namespace has it
        LiveHostView stale = new LiveHostView(List.of(new HostAddress("sluice-gone0", 9, ip("10.77.0.1"), 24)), null);
        assertFalse(stale.hasInterface("sluice-gone0")); // listed, but the kernel has no such link
        assertFalse(stale.hasInterface("bad/name"));
        assertFalse(stale.hasInterface(null));
    }
}
