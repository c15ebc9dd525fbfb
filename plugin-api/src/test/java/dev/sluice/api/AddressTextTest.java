package dev.sluice.api;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressTextTest {
    private static String t(String literal) throws Exception {
        return AddressText.toString(InetAddress.getByName(literal));
    }

    @Test
    void rfc5952ShortestForm() throws Exception {
        assertEquals("::", t("::"));
        assertEquals("::1", t("::1"));
        assertEquals("1::", t("1:0:0:0:0:0:0:0"));
        assertEquals("fd77::1", t("fd77:0:0:0:0:0:0:1"));
        // The longest zero run wins; of equal runs, the first.
        assertEquals("1:0:0:1::1", t("1:0:0:1:0:0:0:1"));
        assertEquals("2001:db8::1:0:0:1", t("2001:db8:0:0:1:0:0:1"));
        // A single zero word is not compressed.
        assertEquals("1:0:1:1:1:1:1:1", t("1:0:1:1:1:1:1:1"));
        assertEquals("10.77.0.1", t("10.77.0.1"));
    }

    @Test
    void scopeAndSocketsAndHalves() throws Exception {
        Inet6Address ll = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 2);
        assertEquals("fe80::1%2", AddressText.toString(ll));
        StringBuilder sb = new StringBuilder();
        AddressText.append(sb, new InetSocketAddress(InetAddress.getByName("fd00::2"), 40312)).append(' ');
        AddressText.append(sb, new InetSocketAddress(InetAddress.getByName("10.0.2.15"), 22));
        assertEquals("[fd00::2]:40312 10.0.2.15:22", sb.toString());
        assertEquals("fd77::1", AddressText.ipv6(0xfd77_0000_0000_0000L, 1L));
    }
}
