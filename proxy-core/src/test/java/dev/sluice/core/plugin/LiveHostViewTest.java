package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.HostAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveHostViewTest {
    @Test
    void readsTheHostsInterfaces() {
        try (LiveHostView view = LiveHostView.fromNetworkInterfaces()) {
            assertTrue(view.localAddresses().contains(ip("127.0.0.1")), view.addresses().toString());
            assertTrue(view.interfaceNames().contains("lo"), view.interfaceNames().toString());
            // Every address the kernel lists is local per the kernel.
            for (HostAddress a : view.addresses()) {
                if (!a.address().isLinkLocalAddress()) {
                    assertTrue(LiveHostView.bindSucceeds(a.address()), a.toString());
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
    void aMissIsCheckedWithTheKernel() {
        List<InetAddress> probed = new ArrayList<>();
        LiveHostView view = new LiveHostView(List.of(new HostAddress("eth0", 2, ip("10.77.0.1"), 24)), a -> {
            probed.add(a);
            return a.equals(ip("10.66.0.1")); // "just added", not yet in the list
        });
        assertTrue(view.isLocal(ip("10.77.0.1")));
        assertTrue(view.isLocal(ip("127.0.0.1")));
        assertTrue(view.isLocal(ip("::1")));
        assertTrue(view.isLocal(ip("0.0.0.0")));
        assertEquals(List.of(), probed); // answered from the list
        assertTrue(view.isLocal(ip("10.66.0.1")));
        assertFalse(view.isLocal(ip("10.99.0.1")));
        assertFalse(view.isLocal(ip("255.255.255.255")));
        assertFalse(view.isLocal(ip("ff02::1")));
        assertEquals(List.of(ip("10.66.0.1"), ip("10.99.0.1")), probed);

        LiveHostView listOnly = new LiveHostView(List.of(), null);
        assertFalse(listOnly.isLocal(ip("10.66.0.1")));
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
        try (LiveHostView view = new LiveHostView(List.of(), a -> true)) {
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
