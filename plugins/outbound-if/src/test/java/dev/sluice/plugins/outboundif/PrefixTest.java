package dev.sluice.plugins.outboundif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrefixTest {

    /** input | canonical text | v6 | length. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.99.0.0/24           | 10.99.0.0/24         | false | 24",
        "10.99.0.1              | 10.99.0.1/32         | false | 32",
        "0.0.0.0/0              | 0.0.0.0/0            | false | 0",
        "255.255.255.255/32     | 255.255.255.255/32   | false | 32",
        "128.0.0.0/1            | 128.0.0.0/1          | false | 1",
        "fd99::/64              | fd99::/64            | true  | 64",
        "FD99:0:0:0::/64        | fd99::/64            | true  | 64",
        "fd99::1                | fd99::1/128          | true  | 128",
        "::/0                   | ::/0                 | true  | 0",
        "2001:db8:0:2::/63      | 2001:db8:0:2::/63    | true  | 63",
        "2001:db8:0:0:1::/80    | 2001:db8:0:0:1::/80  | true  | 80",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127 | ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127 | true | 127",
    })
    void parses(String in, String text, boolean v6, int length) {
        Prefix p = Prefix.parse(in);
        assertEquals(text, p.toString());
        assertEquals(v6, p.v6());
        assertEquals(length, p.length());
        assertEquals(p, Prefix.parse(p.toString()));
    }

    /** input | message. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "10.99.0.1/24     | `\"10.99.0.1/24\" has host bits set (the network is 10.99.0.0/24)`",
        "fd99::1/64       | `\"fd99::1/64\" has host bits set (the network is fd99::/64)`",
        "10.99.0.0/33     | `\"10.99.0.0/33\": prefix length 33 is not between 0 and 32`",
        "fd99::/129       | `\"fd99::/129\": prefix length 129 is not between 0 and 128`",
        "10.99.0.0/       | `\"10.99.0.0/\": \"\" is not a prefix length`",
        "10.99.0.0/-1     | `\"10.99.0.0/-1\": \"-1\" is not a prefix length`",
        "10.99.0.0/2x     | `\"10.99.0.0/2x\": \"2x\" is not a prefix length`",
        "10.99.0/24       | `\"10.99.0\" is not an IP address`",
        "10.99.0.256      | `\"10.99.0.256\" is not an IP address`",
        "localhost        | `\"localhost\" is not an IP address`",
        "1.2.3.4.5        | `\"1.2.3.4.5\" is not an IP address`",
        "fd99::zz         | `\"fd99::zz\" is not an IP address`",
        "fe80::1%eth0     | `\"fe80::1%eth0\": write IPv6 addresses without brackets or zone`",
        "[fd99::1]        | `\"[fd99::1]\": write IPv6 addresses without brackets or zone`",
        "::ffff:10.0.0.1  | `\"::ffff:10.0.0.1\": write IPv4-mapped addresses as IPv4`",
    })
    void rejects(String in, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> Prefix.parse(in)).getMessage());
    }

    @Test
    void endsOfRanges() {
        Prefix v4 = Prefix.parse("10.99.0.0/24");
        assertEquals(0x0a63_00ffL, v4.endLo());
        assertEquals(0xffff_ffffL, Prefix.ALL4.endLo());
        assertEquals(0x0a63_0001L, Prefix.parse("10.99.0.1").endLo());
        Prefix v6 = Prefix.parse("fd99::/64");
        assertEquals(0xfd99_0000_0000_0000L, v6.endHi());
        assertEquals(-1L, v6.endLo());
        assertEquals(-1L, Prefix.ALL6.endHi());
        assertEquals(-1L, Prefix.ALL6.endLo());
        Prefix host = Prefix.parse("fd99::1");
        assertEquals(host.lo(), host.endLo());
        assertEquals(host.hi(), host.endHi());
        Prefix p65 = Prefix.parse("fd99::/65");
        assertEquals(0x7fff_ffff_ffff_ffffL, p65.endLo());
    }

    @Test
    void containingPrefixOfAnAddress() throws Exception {
        assertEquals("10.96.0.0/12", Prefix.of(InetAddress.getByName("10.99.1.2"), 12).toString());
        assertEquals("fd99::/16", Prefix.of(InetAddress.getByName("fd99::1"), 16).toString());
        assertEquals("::/0", Prefix.of(InetAddress.getByName("fd99::1"), 0).toString());
    }

    @Test
    void addressText() throws Exception {
        assertEquals("fd66::1", Prefix.text(InetAddress.getByName("fd66:0:0:0:0:0:0:1")));
        assertEquals("10.66.0.1", Prefix.text(InetAddress.getByName("10.66.0.1")));
        assertTrue(Prefix.parseAddress("fd66::1") instanceof java.net.Inet6Address);
        assertFalse(Prefix.parseAddress("10.66.0.1") instanceof java.net.Inet6Address);
    }
}
