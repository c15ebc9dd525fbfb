package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NetlinkMonitor opened inside a namespace sees `ip addr add/del` there (root). */
class NetlinkMonitorIT {

    @Test
    void seesAddressesComeAndGo() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String h = netns.create("mon-h");
            TestNetns.ip(h, "link", "add", "mv0", "type", "veth", "peer", "name", "mv1");
            int idx = TestNetns.ifIndex(h, "mv0");
            int nsFd = Netns.open(h);
            // The socket belongs to the namespace it was opened in; it is then used from this thread.
            try (NetlinkMonitor mon = Netns.callIn(nsFd, NetlinkMonitor::open)) {
                List<AddressEvent> events = new ArrayList<>();
                List<String> links = new ArrayList<>();

                TestNetns.ip(h, "link", "set", "mv0", "up");
                TestNetns.ip(h, "addr", "add", "10.77.0.5/24", "dev", "mv0");
                TestNetns.ip(h, "addr", "add", "fd77::5/64", "dev", "mv0", "nodad");
                AddressEvent v4 = new AddressEvent(true, new HostAddress(InetAddress.getByName("10.77.0.5"), 24, idx, false));
                AddressEvent v6 = new AddressEvent(true, new HostAddress(InetAddress.getByName("fd77::5"), 64, idx, false));
                awaitEvents(mon, events, links, () -> events.contains(v4) && events.contains(v6));
                assertTrue(links.contains("mv0"), "link events too: " + links);

                events.clear();
                TestNetns.ip(h, "addr", "del", "10.77.0.5/24", "dev", "mv0");
                AddressEvent gone = new AddressEvent(false, v4.address());
                awaitEvents(mon, events, links, () -> events.contains(gone));
                assertEquals(0, mon.overruns());
            } finally {
                Fds.close(nsFd);
            }
        }
    }

    private static void awaitEvents(NetlinkMonitor mon, List<AddressEvent> events, List<String> links,
                                    java.util.function.BooleanSupplier done) throws Exception {
        for (int i = 0; i < 50 && !done.getAsBoolean(); i++) {
            TestNetns.waitReadable(mon.fd(), 100);
            mon.drain(events::add, (added, l) -> links.add(l.name()));
        }
        assertTrue(done.getAsBoolean(), "events seen: " + events);
    }
}
