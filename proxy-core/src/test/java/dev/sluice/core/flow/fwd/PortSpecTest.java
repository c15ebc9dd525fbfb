package dev.sluice.core.flow.fwd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.flow.InetLiterals;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** passt's -t/-u grammar, after its man page examples, and the errors for what it does not accept. */
class PortSpecTest {
    @Test
    void none() {
        PortSpec s = PortSpec.parse("none");
        assertSame(PortSpec.NONE, s);
        assertTrue(s.isNone());
        assertFalse(s.isAll());
        assertEquals(-1, s.guestPort(22));
        assertArrayEquals(new int[0], s.hostPorts());
    }

    @Test
    void all() {
        PortSpec s = PortSpec.parse("all");
        assertTrue(s.isAll());
        assertFalse(s.isNone());
        assertNull(s.bindAddress());
        assertNull(s.bindInterface());
        assertEquals(22, s.guestPort(22));
        assertEquals(65535, s.guestPort(65535));
        assertEquals(-1, s.guestPort(0));
        assertTrue(s.ranges().isEmpty());
        assertArrayEquals(new int[0], s.hostPorts(), "all mode enumerates at bind time");
    }

    @Test
    void singlePort() {
        PortSpec s = PortSpec.parse("22");
        assertFalse(s.isAll());
        assertEquals(List.of(new PortSpec.Range(22, 22, 22)), s.ranges());
        assertEquals(22, s.guestPort(22));
        assertEquals(-1, s.guestPort(23));
        assertArrayEquals(new int[] {22}, s.hostPorts());
    }

    @Test
    void translatedPort() {
        PortSpec s = PortSpec.parse("2222:22");
        assertEquals(22, s.guestPort(2222));
        assertEquals(-1, s.guestPort(22));
        assertArrayEquals(new int[] {2222}, s.hostPorts());
    }

    @Test
    void commaList() {
        PortSpec s = PortSpec.parse("22,25");
        assertArrayEquals(new int[] {22, 25}, s.hostPorts());
        assertEquals(25, s.guestPort(25));
        assertEquals(-1, s.guestPort(23));
    }

    @Test
    void range() {
        PortSpec s = PortSpec.parse("1000-1100");
        assertEquals(101, s.hostPorts().length);
        assertEquals(1000, s.guestPort(1000));
        assertEquals(1100, s.guestPort(1100));
        assertEquals(-1, s.guestPort(999));
        assertEquals(-1, s.guestPort(1101));
    }

    @Test
    void rangeOntoRange() {
        PortSpec s = PortSpec.parse("1000-1100:2000-2100");
        assertEquals(2000, s.guestPort(1000));
        assertEquals(2050, s.guestPort(1050));
        assertEquals(2100, s.guestPort(1100));
        assertEquals(s.ranges(), PortSpec.parse("1000-1100:2000").ranges(), "the target's end may be left out");
    }

    @Test
    void excludesWinOverIncludes() {
        PortSpec s = PortSpec.parse("2000-5000,~3000-3010");
        assertEquals(2999, s.guestPort(2999));
        assertEquals(-1, s.guestPort(3000));
        assertEquals(-1, s.guestPort(3010));
        assertEquals(3011, s.guestPort(3011));
        assertEquals(3001 - 11, s.hostPorts().length);
        assertTrue(s.isExcluded(3005));
        assertFalse(s.isAll());

        PortSpec one = PortSpec.parse("1000-1100,~1050");
        assertEquals(-1, one.guestPort(1050));
        assertEquals(1049, one.guestPort(1049));
        assertEquals(100, one.hostPorts().length);
    }

    @Test
    void excludesAloneMeanAllOthers() {
        PortSpec s = PortSpec.parse("~20000-20010");
        assertTrue(s.isAll());
        assertEquals(-1, s.guestPort(20005));
        assertEquals(19999, s.guestPort(19999));
        PortSpec t = PortSpec.parse("~1050-1060,~1070");
        assertTrue(t.isAll());
        assertEquals(-1, t.guestPort(1070));
        assertEquals(1061, t.guestPort(1061));
        PortSpec u = PortSpec.parse("all,~25");
        assertTrue(u.isAll());
        assertEquals(-1, u.guestPort(25));
        assertEquals(26, u.guestPort(26));
    }

    @Test
    void addressPrefix() {
        PortSpec s = PortSpec.parse("192.0.2.1/22");
        assertEquals(InetLiterals.parse("192.0.2.1"), s.bindAddress());
        assertNull(s.bindInterface());
        assertEquals(22, s.guestPort(22));
        PortSpec v6 = PortSpec.parse("::1/all");
        assertEquals(InetLiterals.parse("::1"), v6.bindAddress());
        assertTrue(v6.isAll());
        PortSpec lo = PortSpec.parse("127.0.0.1/5000-5002:6000");
        assertEquals(6002, lo.guestPort(5002));
        PortSpec mixed = PortSpec.parse("192.0.2.1/20-30,~25");
        assertEquals(-1, mixed.guestPort(25));
        assertEquals(10, mixed.hostPorts().length);
        PortSpec any = PortSpec.parse("0.0.0.0/5000");
        assertTrue(any.bindAddress().isAnyLocalAddress());
    }

    @Test
    void addressAndInterface() {
        PortSpec s = PortSpec.parse("192.0.2.1%eth0/22");
        assertEquals(InetLiterals.parse("192.0.2.1"), s.bindAddress());
        assertEquals("eth0", s.bindInterface());
        PortSpec onlyIf = PortSpec.parse("%eth0/22");
        assertNull(onlyIf.bindAddress());
        assertEquals("eth0", onlyIf.bindInterface());
        PortSpec v6 = PortSpec.parse("fe80::1%veth0/8080:80");
        assertEquals(InetLiterals.parse("fe80::1"), v6.bindAddress());
        assertEquals("veth0", v6.bindInterface());
        assertEquals(80, v6.guestPort(8080));
    }

    @Test
    void boundaries() {
        assertEquals(1, PortSpec.parse("1").guestPort(1));
        assertEquals(65535, PortSpec.parse("65535").guestPort(65535));
        assertEquals(65535, PortSpec.parse("1:65535").guestPort(1));
        assertEquals(65535, PortSpec.parse("65535-65535").guestPort(65535));
    }

    @Test
    void toStringIsTheOriginal() {
        assertEquals("192.0.2.1%eth0/22,~25", PortSpec.parse("192.0.2.1%eth0/22,~25").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|empty|",
        "0|port 0 out of range|'0'",
        "65536|port 65536 out of range|'65536'",
        "123456|bad port '123456'|'123456'",
        "22x|bad port '22x'|'22x'",
        "-22|bad port ''|'-22'",
        "22-|bad port ''|'22-'",
        "30-20|range ends before it starts|'30-20'",
        "22:|bad port ''|'22:'",
        ":22|bad port ''|':22'",
        "22,,23|empty entry|'22,,23'",
        "22,|empty entry|'22,'",
        "~|bad port ''|'~'",
        "1000-1100:2000-2050|ranges of different sizes|'1000-1100:2000-2050'",
        "65000-65535:65500|target range runs past 65535|'65000-65535:65500'",
        "22,20-30|port 22 given twice|'20-30'",
        "all,22|'all' cannot be combined with port ranges|'all,22'",
        "all,all|'all' given twice|'all'",
        "22,none|'none' must stand alone|'none'",
        "22,auto|'auto' must stand alone|'auto'",
        "example.com/22|bad address|'example.com'",
        "300.1.1.1/22|bad address|'300.1.1.1'",
        "/22|empty address|'/'",
        "192.0.2.1/|no ports after the address|'192.0.2.1/'",
        "224.0.0.1/22|multicast address|'224.0.0.1'",
        "192.0.2.1%/22|bad interface name|'%'",
        "%averyveryverylongname/22|bad interface name|'%averyveryverylongname'",
        "0.0.0.0/5000:192.0.2.5/6000|target addresses are not supported|'5000:192.0.2.5/6000'",
    })
    void errorsNameTheBadPart(String spec, String why, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortSpec.parse(spec));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        if (part != null) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @ParameterizedTest
    @ValueSource(strings = {"22", "2222:22", "1000-1100", "1000-1100:2000-2100", "~1050", "~1050-1060",
        "10.77.0.1/22", "10.77.0.1%lo/22", "::1/1-10", "22,~22"})
    void acceptedForms(String spec) {
        assertFalse(PortSpec.parse(spec).isNone());
    }

    @Test
    void nullIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PortSpec.parse(null));
    }
}
