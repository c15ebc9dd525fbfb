package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class FlowAttemptTest {
    private static InetSocketAddress sa(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void mappingAndBinding() throws Exception {
        FlowAttempt f = new FlowAttempt(Protocol.TCP, sa("10.0.2.15", 40000), sa("10.0.2.2", 22), sa("127.0.0.1", 22));
        assertTrue(f.isMapped());
        assertFalse(f.isIpv6());
        assertNull(f.bindInterface());
        f.bindInterface("eth0");
        f.bindSource(InetAddress.getByName("10.77.0.1"));
        assertEquals("tcp 10.0.2.15:40000 -> 10.0.2.2:22 (mapped 127.0.0.1:22) dev eth0 from 10.77.0.1", f.toString());
        f.bindInterface(null);
        assertNull(f.bindInterface());
    }

    @Test
    void rejectsBadBindings() throws Exception {
        FlowAttempt f = new FlowAttempt(Protocol.UDP, sa("fd00::2", 5000), sa("fd99::1", 53), sa("fd99::1", 53));
        assertFalse(f.isMapped());
        assertTrue(f.isIpv6());
        assertEquals("udp [fd00::2]:5000 -> [fd99::1]:53", f.toString());
        assertThrows(IllegalArgumentException.class, () -> f.bindSource(InetAddress.getByName("10.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> f.bindSource(InetAddress.getByName("ff02::1")));
        assertThrows(IllegalArgumentException.class, () -> f.bindInterface("a/b"));
        assertThrows(IllegalArgumentException.class, () -> f.bindInterface("sixteen-chars-xx"));
        assertThrows(IllegalArgumentException.class, () -> f.bindInterface(""));
        assertThrows(IllegalArgumentException.class,
                () -> new FlowAttempt(Protocol.TCP, InetSocketAddress.createUnresolved("x", 1), sa("::1", 1), sa("::1", 1)));
    }

    @Test
    void verdicts() {
        assertEquals("REJECT(no)", Verdict.reject("no").toString());
        assertEquals(Verdict.drop("x"), Verdict.drop("x"));
        assertFalse(Verdict.CONTINUE.isFinal());
        assertTrue(Verdict.ACCEPT.isFinal());
        assertThrows(IllegalArgumentException.class, () -> Verdict.reject(" "));
        assertThrows(IllegalArgumentException.class, () -> Verdict.drop(null));
    }
}
