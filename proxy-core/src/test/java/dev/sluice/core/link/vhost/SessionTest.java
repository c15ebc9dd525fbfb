package dev.sluice.core.link.vhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.core.host.EventFd;
import dev.sluice.core.host.GuestMemoryNative;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The protocol state machine, message by message, with a memfd for guest memory. */
class SessionTest {
    private static final long UVA = 0x7f0000000000L;
    private final List<EventFd> watched = new ArrayList<>();
    private int txKicks;
    private final Session s = new Session((fd, r) -> {
        watched.add(fd);
        return () -> watched.remove(fd);
    }, () -> txKicks++);
    private final ByteBuffer reply = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder());

    private static ByteBuffer payload(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private int send(int request, ByteBuffer p, int... fds) throws Session.ProtocolError {
        return s.handle(request, Protocol.VERSION, p.position(0), fds, fds.length, reply);
    }

    private static ByteBuffer u64(long v) {
        return payload(8).putLong(0, v);
    }

    private static ByteBuffer state(int index, int num) {
        return payload(8).putInt(0, index).putInt(4, num);
    }

    @Test
    void featuresAreOfferedAndOnlyOfferedOnesAccepted() throws Exception {
        assertEquals(8, send(Protocol.GET_FEATURES, payload(0)));
        long offered = reply.getLong(Protocol.HEADER);
        assertEquals(Protocol.OFFERED_FEATURES, offered);
        assertTrue((offered & (1L << Protocol.F_NET_MRG_RXBUF)) != 0);
        assertEquals(0, offered & 1L, "no VIRTIO_NET_F_CSUM: no offload is negotiated");
        assertEquals(-1, send(Protocol.SET_FEATURES, u64(offered)));
        Session.ProtocolError e = assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_FEATURES, u64(1L)));
        assertTrue(e.getMessage().contains("never offered"), e.getMessage());
        assertEquals(8, send(Protocol.GET_PROTOCOL_FEATURES, payload(0)));
        assertEquals(1L << Protocol.PF_REPLY_ACK, reply.getLong(Protocol.HEADER));
    }

    @Test
    void unsupportedAndMalformedMessagesAreErrors() {
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_LOG_BASE, u64(0)));
        assertThrows(Session.ProtocolError.class, () -> send(99, payload(0)));
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_FEATURES, payload(4)));
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_VRING_NUM, state(0, 100)));
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_VRING_NUM, state(2, 256)));
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_MEM_TABLE, payload(8).putInt(0, 1)));
    }

    @Test
    void aFullStartRunsTheRingsAndGetVringBaseStopsOne() throws Exception {
        int fd = GuestMemoryNative.memfd("session-test", 1 << 20);
        send(Protocol.SET_FEATURES, u64(Protocol.OFFERED_FEATURES));
        ByteBuffer table = payload(8 + 32).putInt(0, 1);
        table.putLong(8, 0).putLong(16, 1 << 20).putLong(24, UVA).putLong(32, 0);
        send(Protocol.SET_MEM_TABLE, table, fd);
        assertEquals(1, s.mappedRegions());
        EventFd kick0 = EventFd.open();
        EventFd kick1 = EventFd.open();
        EventFd call0 = EventFd.open();
        for (int q = 0; q < 2; q++) {
            send(Protocol.SET_VRING_NUM, state(q, 256));
            send(Protocol.SET_VRING_BASE, state(q, 5));
            ByteBuffer addr = payload(40).putInt(0, q);
            long base = UVA + 0x10000L * (q + 1);
            addr.putLong(8, base).putLong(16, base + 0x2000).putLong(24, base + 0x1000);
            send(Protocol.SET_VRING_ADDR, addr);
        }
        send(Protocol.SET_VRING_CALL, u64(0), call0.fd());
        send(Protocol.SET_VRING_KICK, u64(0), kick0.fd());
        send(Protocol.SET_VRING_KICK, u64(1), kick1.fd());
        assertFalse(s.rxReady(), "with protocol features a ring waits for SET_VRING_ENABLE");
        assertEquals(1, watched.size(), "the transmit queue's kick is watched on the loop");
        send(Protocol.SET_VRING_ENABLE, state(0, 1));
        send(Protocol.SET_VRING_ENABLE, state(1, 1));
        assertTrue(s.rxReady());
        assertTrue(s.txReady());
        assertTrue(txKicks > 0, "a started transmit queue is drained at once");
        assertEquals(5, s.queues.txRing.lastAvail(), "SET_VRING_BASE");
        assertEquals(8, send(Protocol.GET_VRING_BASE, state(1, 0)));
        assertEquals(1, reply.getInt(Protocol.HEADER));
        assertEquals(5, reply.getInt(Protocol.HEADER + 4));
        assertFalse(s.txReady());
        assertEquals(0, watched.size(), "a stopped ring's kick is no longer watched");
        s.close();
        assertEquals(0, s.mappedRegions());
        // The session adopted (and has closed) the three eventfds: the test must not close them again.
    }

    @Test
    void aBadMemoryTableClosesItsDescriptors() throws IOException {
        int fd = GuestMemoryNative.memfd("session-test", 4096);
        ByteBuffer table = payload(8 + 32).putInt(0, 2);
        // Two regions announced, one fd attached: refused, and the session closed the fd it was given.
        assertThrows(Session.ProtocolError.class, () -> send(Protocol.SET_MEM_TABLE, table, fd));
        assertEquals(0, s.mappedRegions());
    }
}
