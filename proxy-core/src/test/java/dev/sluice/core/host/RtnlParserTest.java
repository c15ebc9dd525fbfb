package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Message walking and payload decoding, on real captures and on hand-broken input. */
class RtnlParserTest {

    private static List<int[]> walkAll(ByteBuffer b, int len, int[] result) {
        List<int[]> seen = new ArrayList<>();
        result[0] = RtnlParser.walk(b, 0, len, (type, flags, seq, buf, off, plen) ->
                seen.add(new int[] {type, flags, off, plen}));
        return seen;
    }

    @Test
    void walksARealDumpToItsDoneMessage() {
        ByteBuffer b = Captures.load("host-links.bin");
        int[] r = new int[1];
        List<int[]> seen = walkAll(b, b.limit(), r);
        assertEquals(4, r[0]); // lo, ha, hb, NLMSG_DONE
        assertEquals(List.of(Rtnl.RTM_NEWLINK, Rtnl.RTM_NEWLINK, Rtnl.RTM_NEWLINK, Rtnl.NLMSG_DONE),
                seen.stream().map(m -> m[0]).toList());
        assertTrue(seen.subList(0, 3).stream().allMatch(m -> (m[1] & Rtnl.NLM_F_MULTI) != 0));
    }

    @Test
    void realLinkMessages() {
        ByteBuffer b = Captures.load("host-links.bin");
        List<RtnlParser.Link> links = new ArrayList<>();
        RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) -> {
            if (type == Rtnl.RTM_NEWLINK) {
                links.add(RtnlParser.link(buf, off, len));
            }
        });
        assertEquals(new RtnlParser.Link(2, "ha", 1400, 0x0200_0000_0a01L,
                links.get(1).flags()), links.get(1));
        assertEquals(Rtnl.IFF_UP, links.get(1).flags() & Rtnl.IFF_UP);
        assertEquals(Rtnl.IFF_LOOPBACK, links.get(0).flags() & Rtnl.IFF_LOOPBACK);
    }

    @Test
    void truncatedDumpStopsAtTheLastWholeMessage() {
        ByteBuffer b = Captures.load("host-addrs.bin");
        int first = b.getInt(0);
        int[] r = new int[1];
        List<int[]> seen = walkAll(b, first + 10, r); // second header cut short
        assertEquals(1, seen.size());
        assertEquals(-2, r[0]);
        seen = walkAll(b, first + 20, r); // second header whole, its body missing
        assertEquals(1, seen.size());
        assertEquals(-2, r[0]);
        seen = walkAll(b, first - 1, r);
        assertEquals(0, seen.size());
        assertEquals(-1, r[0]);
    }

    @Test
    void badMessageLengthsStopTheWalk() {
        for (int bad : new int[] {0, 15, 1 << 20, -1}) {
            ByteBuffer b = Captures.wrap(new byte[64]);
            b.putInt(0, bad);
            int[] r = new int[1];
            assertEquals(0, walkAll(b, 64, r).size(), "length " + bad);
            assertEquals(-1, r[0]);
        }
        // A 16-byte message at the end of the buffer needs no padding.
        ByteBuffer b = Captures.wrap(new byte[16]);
        b.putInt(0, 16).putShort(4, (short) Rtnl.NLMSG_DONE);
        int[] r = new int[1];
        assertEquals(1, walkAll(b, 16, r).size());
        assertEquals(1, r[0]);
    }

    @Test
    void errorPayload() {
        ByteBuffer b = Captures.wrap(new byte[20]);
        b.putInt(0, -17);
        assertEquals(-17, RtnlParser.error(b, 0, 20));
        assertEquals(1, RtnlParser.error(b, 0, 3));
    }

    @Test
    void malformedPayloadsGiveNull() throws Exception {
        ByteBuffer addrs = Captures.load("host-addrs.bin");
        int len = addrs.getInt(0) - 16;
        assertEquals(InetAddress.getByName("127.0.0.1"), RtnlParser.address(addrs, 16, len).address());
        assertNull(RtnlParser.address(addrs, 16, 7), "shorter than ifaddrmsg");

        // An attribute whose length runs past the payload.
        byte[] copy = Captures.bytes(addrs);
        ByteBuffer broken = Captures.wrap(copy);
        broken.putShort(16 + 8, (short) 200);
        assertNull(RtnlParser.address(broken, 16, len));
        broken.putShort(16 + 8, (short) 2); // shorter than an attribute header
        assertNull(RtnlParser.address(broken, 16, len));

        // Unknown family.
        ByteBuffer other = Captures.wrap(Arrays.copyOf(copy, copy.length));
        other.put(16, (byte) 7);
        assertNull(RtnlParser.address(other, 16, len));

        // Address attribute of the wrong size is ignored: nothing left to report.
        ByteBuffer v4 = HostViewTest.addrPayload(2, 24, 0, 2, new byte[] {10, 0, 0, 1, 0});
        assertNull(RtnlParser.address(v4, 0, v4.limit()));
        // Prefix longer than the address.
        ByteBuffer longPrefix = HostViewTest.addrPayload(2, 33, 0, 2, new byte[] {10, 0, 0, 1});
        assertNull(RtnlParser.address(longPrefix, 0, longPrefix.limit()));

        ByteBuffer links = Captures.load("host-links.bin");
        assertNull(RtnlParser.link(links, 16, 15));
        assertNull(RtnlParser.defaultRoute(links, 16, 11));
    }

    @Test
    void routesThatAreNotMainTableDefaultsAreSkipped() {
        ByteBuffer b = Captures.load("host-routes4.bin");
        List<HostRoute> routes = new ArrayList<>();
        int[] newRoutes = {0};
        RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) -> {
            if (type == Rtnl.RTM_NEWROUTE) {
                newRoutes[0]++;
                HostRoute r = RtnlParser.defaultRoute(buf, off, len);
                if (r != null) {
                    routes.add(r);
                }
            }
        });
        assertTrue(newRoutes[0] > 5, "the dump has table 100, local and prefix routes too");
        assertEquals(2, routes.size());
    }

    /** The replies of capture.sh's "routeget" scenario, in order: type and interface of each, or the error. */
    @Test
    void routeAnswersOfRealLookups() {
        ByteBuffer b = Captures.load("routeget.bin");
        List<String> answers = new ArrayList<>();
        int n = RtnlParser.walk(b, 0, b.limit(), (type, flags, seq, buf, off, len) -> {
            if (type == Rtnl.RTM_NEWROUTE) {
                long r = RtnlParser.routeAnswer(buf, off, len);
                answers.add("type " + (r >>> 32) + " oif " + (int) r);
            } else if (type == Rtnl.NLMSG_ERROR) {
                answers.add("error " + RtnlParser.error(buf, off, len));
            }
        });
        assertEquals(9, n);
        assertEquals(List.of(
                "type 2 oif 3",   // 10.66.0.1: local, on hb (not lo: the FIB entry, not the resolved route)
                "type 3 oif 3",   // 10.66.0.255: broadcast of hb's subnet
                "type 1 oif 2",   // 10.99.0.7: unicast via ha
                "type 2 oif 1",   // 127.1.2.3: local 127.0.0.0/8 dev lo
                "type 2 oif 3",   // fd66::1: local, on hb
                "type 1 oif 2",   // fd66::1 asked with oif ha: unicast out of ha, not local
                "error -13",      // 192.0.2.1: prohibit route, EACCES
                "error -113",     // 2001:db8::1: unreachable route, EHOSTUNREACH
                "error -113"),    // 0.0.0.0: no FIB entry to match
                answers);
    }

    @Test
    void routeAnswerOfBrokenInput() {
        ByteBuffer b = Captures.load("routeget.bin");
        int first = b.getInt(0);
        assertEquals(-1, RtnlParser.routeAnswer(b, 16, 11)); // shorter than an rtmsg
        // An attribute whose length runs past the end.
        ByteBuffer copy = Captures.wrap(Arrays.copyOf(Captures.bytes(b), first));
        copy.putShort(16 + 12, (short) 200);
        assertEquals(-1, RtnlParser.routeAnswer(copy, 16, first - 16));
        // Another family.
        copy = Captures.wrap(Arrays.copyOf(Captures.bytes(b), first));
        copy.put(16, (byte) 7);
        assertEquals(-1, RtnlParser.routeAnswer(copy, 16, first - 16));
        // No RTA_OIF: type alone.
        ByteBuffer bare = Captures.wrap(new byte[12]);
        bare.put(0, (byte) Native.AF_INET).put(7, (byte) Rtnl.RTN_LOCAL);
        assertEquals((long) Rtnl.RTN_LOCAL << 32, RtnlParser.routeAnswer(bare, 0, 12));
    }
}
