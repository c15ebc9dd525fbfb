package dev.sluice.plugins.vmisolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryEntryTest {
    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> RegistryEntry.parse(text)).getMessage();
    }

    @Test
    void formatsAndParsesBack() throws Exception {
        RegistryEntry e = new RegistryEntry("sluice-42", 42, 1718000000120L, "pid:[4026531836]", List.of(
                new PortForward(Protocol.TCP, null, 8022),
                new PortForward(Protocol.UDP, InetAddress.getByName("127.0.0.1"), 5000, 5010),
                new PortForward(Protocol.TCP, InetAddress.getByName("fd77::1"), 22)));
        String text = e.format();
        assertTrue(text.contains("forward=tcp * 8022\n"), text);
        assertTrue(text.contains("forward=udp 127.0.0.1 5000-5010\n"), text);
        assertEquals(e, RegistryEntry.parse(text));
    }

    @Test
    void ipv6AddressesAreWrittenShort() throws Exception {
        assertEquals("::1", RegistryEntry.text(InetAddress.getByName("::1")));
        assertEquals("::", RegistryEntry.text(InetAddress.getByName("::")));
        assertEquals("fd77::1", RegistryEntry.text(InetAddress.getByName("fd77:0:0:0:0:0:0:1")));
        assertEquals("fd77:0:1::", RegistryEntry.text(InetAddress.getByName("fd77:0:1:0:0:0:0:0")));
        assertEquals("1:0:2:3:4:5:6:7", RegistryEntry.text(InetAddress.getByName("1:0:2:3:4:5:6:7")));
        assertEquals("1:0:0:4::7", RegistryEntry.text(InetAddress.getByName("1:0:0:4:0:0:0:7")));
        assertEquals("1::4:0:0:7:0", RegistryEntry.text(InetAddress.getByName("1:0:0:4:0:0:7:0")));
        assertEquals("10.77.0.1", RegistryEntry.text(InetAddress.getByName("10.77.0.1")));
    }

    @Test
    void unknownStartAndNamespaceAreLeftOut() {
        RegistryEntry e = new RegistryEntry("x", 7, -1, null, List.of());
        assertEquals("# Sluice vm-isolation registry entry (docs/plugins/vm-isolation.md)\nversion=1\nid=x\npid=7\n",
                e.format());
        assertEquals(e, RegistryEntry.parse(e.format()));
    }

    @Test
    void selfDescribesThisProcess() {
        RegistryEntry e = RegistryEntry.self("me", List.of());
        assertEquals(ProcessHandle.current().pid(), e.pid());
        assertEquals(ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli(), e.startMillis());
        assertTrue(e.pidNamespace() == null || e.pidNamespace().startsWith("pid:["), e.pidNamespace());
    }

    @Test
    void laterKeysAreIgnored() {
        RegistryEntry e = RegistryEntry.parse("version=1\nid=a\npid=3\nhostname=h\n\n# note\n");
        assertEquals(new RegistryEntry("a", 3, -1, null, List.of()), e);
    }

    @Test
    void badFilesSayWhy() {
        assertEquals("no version line", error("id=a\npid=3\n"));
        assertEquals("unsupported version 2", error("version=2\nid=a\npid=3\n"));
        assertEquals("no id", error("version=1\npid=3\n"));
        assertEquals("no pid", error("version=1\nid=a\n"));
        assertEquals("line 2: not KEY=VALUE", error("version=1\ngarbage\n"));
        assertEquals("line 3: \"-3\" is not a number", error("version=1\nid=a\npid=-3\n"));
        assertEquals("line 4: protocol \"sctp\"", error("version=1\nid=a\npid=3\nforward=sctp * 1\n"));
        assertEquals("line 4: forward is PROTOCOL ADDRESS|* PORT[-PORT]", error("version=1\nid=a\npid=3\nforward=tcp 1\n"));
        assertEquals("line 4: bad port range 0-0", error("version=1\nid=a\npid=3\nforward=tcp * 0\n"));
        assertEquals("line 4: bad port range 20-10", error("version=1\nid=a\npid=3\nforward=tcp * 20-10\n"));
        assertEquals("line 4: \"70000\" is not a number", error("version=1\nid=a\npid=3\nforward=tcp * 70000\n"));
    }

    @Test
    void addressesMustBeLiteralsAndAreNeverResolved() {
        // Each of these would be a DNS lookup for InetAddress.getByName.
        for (String name : new String[] {"localhost", "example.invalid", "999.1.1.1", "1.2.3", ".1:2", "g::1"}) {
            assertEquals("line 4: \"" + name + "\" is not an address",
                    error("version=1\nid=a\npid=3\nforward=tcp " + name + " 22\n"), name);
        }
    }
}
