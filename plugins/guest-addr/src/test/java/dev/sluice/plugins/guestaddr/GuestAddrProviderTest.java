package dev.sluice.plugins.guestaddr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.GuestFrameFilter;
import dev.sluice.api.Protocol;
import dev.sluice.api.TestingFilterContext;
import dev.sluice.api.Verdict;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class GuestAddrProviderTest {
    private static final Verdict NOT_V4 = Verdict.drop("source is not the guest's IPv4 address 10.77.0.1");
    private static final Verdict NOT_V6 = Verdict.drop("source is not the guest's IPv6 address fd77::1, in fd77::/64"
            + " or link-local");

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s); // literals only
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static FlowAttempt flow(Protocol p, String src, String dst) {
        InetSocketAddress d = new InetSocketAddress(ip(dst), p.isIcmp() ? 0 : 80);
        return new FlowAttempt(p, new InetSocketAddress(ip(src), 40000), d, d);
    }

    /** The plan of the integration topology: 10.77.0.1/24, fd77::1/64 advertised for SLAAC. */
    private static TestingFilterContext.Builder plan() {
        return TestingFilterContext.builder()
                .guestAddress4((Inet4Address) ip("10.77.0.1"), 24)
                .guestAddress6((Inet6Address) ip("fd77::1"), 64, true);
    }

    private static FlowFilter filter(TestingFilterContext.Builder b) {
        return new GuestAddrProvider().create(b.build());
    }

    @Test
    void ipv4OnlyTheAssignedAddressEvenInsideTheSubnet() {
        FlowFilter f = filter(plan());
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "10.77.0.1", "10.99.0.1")));
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.ICMP, "10.77.0.1", "10.99.0.1")));
        assertEquals(NOT_V4, f.decide(flow(Protocol.TCP, "10.77.0.60", "10.99.0.1")));
        assertEquals(NOT_V4, f.decide(flow(Protocol.UDP, "10.66.0.1", "10.99.0.1")));
        assertEquals(NOT_V4, f.decide(flow(Protocol.UDP, "0.0.0.0", "10.99.0.1")));
        assertEquals(NOT_V4, f.decide(flow(Protocol.TCP, "169.254.1.1", "10.99.0.1")), "IPv4 link-local was not given");
    }

    @Test
    void ipv6TheAssignedAddressSlaacAddressesInThePrefixAndLinkLocal() {
        FlowFilter f = filter(plan());
        for (String ok : new String[] {"fd77::1", "fd77::60", "fd77::5054:ff:fe12:3456", "fd77::ffff:ffff:ffff:ffff",
                "fe80::1", "fe80::5054:ff:fe12:3456", "febf::1"}) {
            assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, ok, "fd99::1")), ok);
        }
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.ICMPV6, "fd77::abcd", "fd99::1")));
        for (String bad : new String[] {"fd66::60", "fd77:0:0:1::1", "fd76:ffff:ffff:ffff::1", "fec0::1", "::",
                "2001:db8::1"}) {
            assertEquals(NOT_V6, f.decide(flow(Protocol.UDP, bad, "fd99::1")), bad);
        }
    }

    @Test
    void withoutSlaacOnlyTheDhcpv6AddressAndLinkLocal() {
        FlowFilter f = filter(TestingFilterContext.builder()
                .guestAddress6((Inet6Address) ip("fd77::1"), 64, false));
        Verdict notV6 = Verdict.drop("source is not the guest's IPv6 address fd77::1 or link-local");
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "fd77::1", "fd99::1")));
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "fe80::2", "fd99::1")));
        assertEquals(notV6, f.decide(flow(Protocol.TCP, "fd77::60", "fd99::1")));
        // No IPv4 at all: nothing IPv4 passes.
        assertEquals(Verdict.drop("the guest was given no IPv4 address"),
                f.decide(flow(Protocol.TCP, "10.77.0.1", "10.99.0.1")));
    }

    @Test
    void thePrefixIsTheAssignedAddressMasked() {
        FlowFilter f = filter(TestingFilterContext.builder()
                .guestAddress6((Inet6Address) ip("fd77:0:0:1::1"), 64, true));
        assertSame(Verdict.CONTINUE, f.decide(flow(Protocol.TCP, "fd77:0:0:1:ffff::1", "fd99::1")));
        assertEquals(Verdict.drop("source is not the guest's IPv6 address fd77:0:0:1::1, in fd77:0:0:1::/64"
                + " or link-local"), f.decide(flow(Protocol.TCP, "fd77:0:0:2::1", "fd99::1")));
    }

    @Test
    void theMacHookExistsOnlyWithMacEnforce() {
        assertFalse(filter(plan()) instanceof GuestFrameFilter);
        assertFalse(filter(plan().option("mac", "off")) instanceof GuestFrameFilter);
        assertTrue(filter(plan().option("mac", "ENFORCE")) instanceof GuestFrameFilter);
    }

    @Test
    void macEnforceKnownMacOnlyThatOne() {
        GuestFrameFilter f = (GuestFrameFilter) filter(plan().guestMac("52:54:00:12:34:56").option("mac", "enforce"));
        assertTrue(f.acceptSourceMac(0x525400123456L));
        assertFalse(f.acceptSourceMac(0x525400123457L));
        assertFalse(f.acceptSourceMac(0x020000000060L));
        assertFalse(f.acceptSourceMac(0));
        assertFalse(f.acceptSourceMac(0xffffffffffffL));
        assertEquals("source MAC 02:00:00:00:00:60 is not the guest's (52:54:00:12:34:56)",
                f.sourceMacDropReason(0x020000000060L));
        // the flow check still applies
        assertEquals(NOT_V4, ((FlowFilter) f).decide(flow(Protocol.TCP, "10.77.0.60", "10.99.0.1")));
    }

    @Test
    void macEnforceUnknownMacAnyUnicastMayBecomeTheGuests() {
        GuestFrameFilter f = (GuestFrameFilter) filter(plan().option("mac", "enforce"));
        assertTrue(f.acceptSourceMac(0x525400123456L));
        assertTrue(f.acceptSourceMac(0x020000000060L));
        assertFalse(f.acceptSourceMac(0));
        assertFalse(f.acceptSourceMac(0x010203040506L), "group bit set");
        assertFalse(f.acceptSourceMac(0xffffffffffffL));
        assertEquals("source MAC 33:33:00:00:00:01 is not a unicast address", f.sourceMacDropReason(0x333300000001L));
    }

    @Test
    void logsWhatItAllows() {
        TestingFilterContext ctx = plan().option("mac", "enforce").build();
        new GuestAddrProvider().create(ctx);
        assertEquals(List.of("INFO guest flows allowed only from 10.77.0.1, fd77::1, fd77::/64 (SLAAC), IPv6 link-local;"
                + " source MAC enforced: the first one seen"), ctx.logLines());
        ctx = plan().guestMac("52:54:00:12:34:56").build();
        new GuestAddrProvider().create(ctx);
        assertEquals(List.of("INFO guest flows allowed only from 10.77.0.1, fd77::1, fd77::/64 (SLAAC), IPv6 link-local;"
                + " source MAC not checked"), ctx.logLines());
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertEquals("option \"mac\": \"strict\" is not one of enforce, off",
                assertThrows(IllegalArgumentException.class, () -> filter(plan().option("mac", "strict"))).getMessage());
        assertEquals("unknown option \"macs\" (known options: mac)",
                assertThrows(IllegalArgumentException.class, () -> filter(plan().option("macs", "enforce"))).getMessage());
    }

    @Test
    void isFoundByServiceLoader() {
        List<String> names = ServiceLoader.load(FlowFilterProvider.class).stream().map(p -> p.get().name()).toList();
        assertTrue(names.contains("guest-addr"), names.toString());
        assertEquals(1, new GuestAddrProvider().options().size());
    }

    @Test
    void ipv6Text() {
        assertEquals("fd77::1", Texts.ipv6(0xfd77000000000000L, 1));
        assertEquals("::", Texts.ipv6(0, 0));
        assertEquals("fd77:0:0:1::", Texts.ipv6(0xfd77000000000001L, 0));
        assertEquals("1:0:2:0:3:0:4:0", Texts.ipv6(0x0001000000020000L, 0x0003000000040000L));
        assertEquals("fe80::5054:ff:fe12:3456", Texts.ipv6(0xfe80000000000000L, 0x505400fffe123456L));
    }
}
