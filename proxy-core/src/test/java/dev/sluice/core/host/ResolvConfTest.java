package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvConfTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void typicalSystemdStubFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, """
                # This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
                # Do not edit.

                nameserver 127.0.0.53
                options edns0 trust-ad
                search lan example.org
                """);
        ResolvConf rc = ResolvConf.read(f);
        assertEquals(List.of(ip("127.0.0.53")), rc.nameservers());
        assertEquals(List.of("lan", "example.org"), rc.search());
    }

    @Test
    void commentsWhitespaceAndOddEntries() throws Exception {
        ResolvConf rc = ResolvConf.parse(String.join("\r\n",
                "; a comment",
                "   nameserver\t10.99.0.1   # trailing comment",
                "nameserver 10.99.0.1",           // duplicate
                "nameserver fd99::1;x",
                "nameserver",                      // no address
                "nameserver dns.example.com",      // a name: never looked up, skipped
                "nameserver 1.2.3.256",            // not an address
                "nameserver 1.2.3",                // not a dotted quad
                "nameserver [fd99::2]",            // brackets are not resolv.conf syntax
                "nameserver ::ffff:10.0.0.9",      // v4-mapped means IPv4
                "#nameserver 10.0.0.1",
                "sortlist 10.0.0.0/255.0.0.0",
                "NAMESERVER 10.0.0.2",             // keywords are lower case
                ""));
        assertEquals(List.of(ip("10.99.0.1"), ip("fd99::1"), ip("10.0.0.9")), rc.nameservers());
        assertInstanceOf(Inet4Address.class, rc.nameservers().get(2));
        assertEquals(List.of(), rc.search());
    }

    @Test
    void scopedIpv6() throws Exception {
        ResolvConf rc = ResolvConf.parse("""
                nameserver fe80::1%3
                nameserver fe80::2%lo
                nameserver fe80::3%no-such-if0
                """);
        List<InetAddress> ns = rc.nameservers();
        assertEquals(3, ns.size());
        assertEquals(3, ((Inet6Address) ns.get(0)).getScopeId());
        assertEquals(java.net.NetworkInterface.getByName("lo").getIndex(), ((Inet6Address) ns.get(1)).getScopeId());
        assertEquals(ip("fe80::3"), ns.get(2), "unknown interface: kept without scope");
        assertNull(((Inet6Address) ns.get(2)).getScopedInterface());
    }

    @Test
    void lastDomainOrSearchWins() {
        assertEquals(List.of("b.example"), ResolvConf.parse("search a.example\ndomain b.example\n").search());
        assertEquals(List.of("c", "d"), ResolvConf.parse("domain b.example\nsearch c d c\n").search());
        assertEquals(List.of(), ResolvConf.parse("search a\nsearch\n").search());
    }

    @Test
    void emptyAndMissing(@TempDir Path dir) throws Exception {
        assertEquals(new ResolvConf(List.of(), List.of()), ResolvConf.parse(""));
        assertThrows(IOException.class, () -> ResolvConf.read(dir.resolve("absent")));
    }
}
