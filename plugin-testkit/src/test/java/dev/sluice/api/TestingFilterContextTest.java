package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestingFilterContextTest {

    @Test
    void interfacesWithAndWithoutAddresses() throws Exception {
        TestingFilterContext ctx = TestingFilterContext.builder()
                .hostAddress("eth0", InetAddress.getByName("10.77.0.1"), 24)
                .hostInterface("wg0")
                .build();
        HostView host = ctx.host();
        assertTrue(host.hasInterface("eth0"));
        assertTrue(host.hasInterface("wg0"));
        assertFalse(host.hasInterface("eth1"));
        assertFalse(host.hasInterface(null));
        assertEquals(Set.of("eth0"), host.interfaceNames()); // only those with addresses
    }

    @Test
    void hostChangesAreSeenThroughTheSameView() throws Exception {
        InetAddress a = InetAddress.getByName("10.66.0.1");
        TestingFilterContext ctx = TestingFilterContext.builder()
                .hostAddress("dum0", a, 24)
                .build();
        HostView host = ctx.host();
        long g0 = host.generation();
        assertTrue(host.isLocal(a));

        ctx.removeHostAddress(a);
        assertFalse(host.isLocal(a));
        assertTrue(host.hasInterface("dum0"), "removing an address keeps its interface");
        long g1 = host.generation();
        assertNotEquals(g0, g1);

        ctx.addHostAddress("dum0", a, 24);
        assertTrue(host.isLocal(a));
        assertEquals(List.of(a), host.addressesOf("dum0").stream().map(HostAddress::address).toList());

        ctx.removeHostInterface("dum0");
        assertFalse(host.hasInterface("dum0"));
        assertFalse(host.isLocal(a));
        assertTrue(host.addresses().isEmpty());
    }

    @Test
    void defaultHasInterfaceAnswersFromTheAddressList() throws Exception {
        List<HostAddress> list = List.of(new HostAddress("eth0", 2, InetAddress.getByName("10.77.0.1"), 24));
        HostView plain = new HostView() {
            @Override
            public List<HostAddress> addresses() {
                return list;
            }

            @Override
            public Set<InetAddress> localAddresses() {
                return Set.of(list.get(0).address());
            }

            @Override
            public boolean isLocal(InetAddress address) {
                return localAddresses().contains(address);
            }

            @Override
            public long generation() {
                return 0;
            }
        };
        assertTrue(plain.hasInterface("eth0"));
        assertFalse(plain.hasInterface("eth1"));
        assertFalse(plain.hasInterface(null));
    }
}
