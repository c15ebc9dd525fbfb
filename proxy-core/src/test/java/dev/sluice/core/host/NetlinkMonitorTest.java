package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Event decoding on multicast datagrams captured while `ip addr add/del` ran (capture.sh). */
class NetlinkMonitorTest {

    @Test
    void addressEventsFromRealNotifications() throws Exception {
        ByteBuffer b = Captures.load("monitor-addr.bin");
        List<AddressEvent> events = new ArrayList<>();
        List<String> links = new ArrayList<>();
        int n = RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) ->
                NetlinkMonitor.dispatch(type, buf, off, len, events::add, (added, l) -> links.add(l.name())));
        assertEquals(4, n);
        assertEquals(List.of(
                new AddressEvent(true, new HostAddress(InetAddress.getByName("10.77.0.9"), 24, 2, false)),
                new AddressEvent(true, new HostAddress(InetAddress.getByName("fd77::9"), 64, 2, false)),
                new AddressEvent(false, new HostAddress(InetAddress.getByName("10.77.0.9"), 24, 2, false)),
                new AddressEvent(false, new HostAddress(InetAddress.getByName("fd77::9"), 64, 2, false))),
                events);
        assertEquals(List.of(), links);
    }

    @Test
    void linkEventsGoToTheLinkSinkOnly() {
        ByteBuffer b = Captures.load("host-links.bin");
        List<AddressEvent> events = new ArrayList<>();
        List<String> links = new ArrayList<>();
        RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) ->
                NetlinkMonitor.dispatch(type, buf, off, len, events::add, (added, l) -> links.add(added + " " + l.name())));
        assertEquals(List.of("true lo", "true ha", "true hb"), links);
        assertEquals(List.of(), events);
        // Without a link sink, link messages are simply ignored.
        RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) ->
                NetlinkMonitor.dispatch(type, buf, off, len, events::add, null));
        assertEquals(List.of(), events);
    }
}
