package dev.sluice.core.link.vhost;

import dev.sluice.core.host.EventFd;
import dev.sluice.core.host.GuestMemoryNative;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The back-end's state for one front-end connection: negotiated features,
 * the mapped memory table, and the two virtio-net vrings with their kick,
 * call and error eventfds. {@link #handle} applies one message and writes its
 * reply; anything the protocol does not allow throws {@link ProtocolError}
 * and the link closes the connection. {@link #close} releases every mapping
 * and descriptor the session holds.
 *
 * <p>A ring runs once it has an address, a kick fd and (when protocol
 * features were negotiated) SET_VRING_ENABLE 1; GET_VRING_BASE stops it.
 * Event loop only.
 */
final class Session implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    static final int QUEUES = 2;

    /** Registers an eventfd on the event loop; closing the result cancels the registration. */
    interface Watcher {
        AutoCloseable watch(EventFd fd, Runnable onReadable) throws IOException;
    }

    static final class ProtocolError extends Exception {
        ProtocolError(String message) {
            super(message);
        }
    }

    private static final class Vring {
        int num;
        long descUva;
        long usedUva;
        long availUva;
        int base;
        boolean addrSet;
        boolean enabled;
        boolean started;
        boolean running;
        EventFd kick;
        AutoCloseable kickWatch;
        EventFd call;
        EventFd err;
    }

    private final Watcher watcher;
    private final Runnable onTxKick;
    final NetQueues queues = new NetQueues();
    private final Vring[] vrings = {new Vring(), new Vring()};
    private long features;
    private boolean featuresSet;
    private long protocolFeatures;
    private final List<GuestMemoryNative.Mapping> mappings = new ArrayList<>();
    private GuestMemory memory = GuestMemory.EMPTY;
    private boolean closed;

    Session(Watcher watcher, Runnable onTxKick) {
        this.watcher = watcher;
        this.onTxKick = onTxKick;
    }

    boolean rxReady() {
        Vring v = vrings[NetQueues.RX];
        return v.started && v.enabled;
    }

    boolean txReady() {
        Vring v = vrings[NetQueues.TX];
        return v.started && v.enabled;
    }

    /** Interrupts the guest for a queue's newly used buffers, if it wants one. */
    void callIfNeeded(int queue) {
        SplitRing r = queue == NetQueues.RX ? queues.rxRing : queues.txRing;
        EventFd call = vrings[queue].call;
        if (r.needsCall() && call != null) {
            try {
                call.signal();
            } catch (IOException e) {
                log.debug("vhost-user: call eventfd of queue {}: {}", queue, e.toString());
            }
        }
    }

    int mappedRegions() {
        return mappings.size();
    }

    long features() {
        return features;
    }

    /**
     * Applies one message. {@code payload} holds exactly its bytes (position 0,
     * native order); {@code fds} the descriptors that came with it, which this
     * method owns from now on (kept or closed). The reply, if any, is written
     * to {@code reply} after its 12-byte header room; returns the payload size
     * of the reply, or -1 for none.
     */
    int handle(int request, int flags, ByteBuffer payload, int[] fds, int nfds, ByteBuffer reply) throws ProtocolError {
        int used = 0;
        try {
            int size = payload.remaining();
            switch (request) {
                case Protocol.GET_FEATURES -> {
                    reply.putLong(Protocol.HEADER, Protocol.OFFERED_FEATURES);
                    return 8;
                }
                case Protocol.SET_FEATURES -> {
                    long f = u64(payload, size);
                    if ((f & ~Protocol.OFFERED_FEATURES) != 0) {
                        throw new ProtocolError("SET_FEATURES acks features never offered: 0x"
                                + Long.toHexString(f & ~Protocol.OFFERED_FEATURES));
                    }
                    features = f;
                    featuresSet = true;
                    log.debug("vhost-user: features 0x{}", Long.toHexString(f));
                    reconfigure();
                }
                case Protocol.GET_PROTOCOL_FEATURES -> {
                    reply.putLong(Protocol.HEADER, Protocol.OFFERED_PROTOCOL_FEATURES);
                    return 8;
                }
                case Protocol.SET_PROTOCOL_FEATURES -> {
                    long f = u64(payload, size);
                    protocolFeatures = f & Protocol.OFFERED_PROTOCOL_FEATURES;
                    if (f != protocolFeatures) {
                        throw new ProtocolError("SET_PROTOCOL_FEATURES acks features never offered: 0x"
                                + Long.toHexString(f & ~Protocol.OFFERED_PROTOCOL_FEATURES));
                    }
                }
                case Protocol.SET_OWNER -> {
                    // Nothing to do: one connection is one owner.
                }
                case Protocol.RESET_OWNER -> {
                    stopAll();
                    features = 0;
                    featuresSet = false;
                }
                case Protocol.GET_QUEUE_NUM -> {
                    reply.putLong(Protocol.HEADER, 1L);
                    return 8;
                }
                case Protocol.SET_MEM_TABLE -> {
                    used = nfds;
                    setMemTable(payload, size, fds, nfds);
                }
                case Protocol.SET_VRING_NUM -> {
                    Vring v = vring(payload, size, 8);
                    int num = payload.getInt(4);
                    if (num <= 0 || num > SplitRing.MAX_SIZE || (num & (num - 1)) != 0) {
                        throw new ProtocolError("SET_VRING_NUM: bad ring size " + num);
                    }
                    v.num = num;
                }
                case Protocol.SET_VRING_ADDR -> {
                    Vring v = vring(payload, size, 40);
                    v.descUva = payload.getLong(8);
                    v.usedUva = payload.getLong(16);
                    v.availUva = payload.getLong(24);
                    v.addrSet = true;
                    reconfigure();
                }
                case Protocol.SET_VRING_BASE -> {
                    Vring v = vring(payload, size, 8);
                    v.base = payload.getInt(4) & 0xffff;
                }
                case Protocol.GET_VRING_BASE -> {
                    Vring v = vring(payload, size, 8);
                    int index = payload.getInt(0);
                    int base = v.started ? ring(index).lastAvail() : v.base;
                    stop(index);
                    v.base = base;
                    reply.putInt(Protocol.HEADER, index).putInt(Protocol.HEADER + 4, base);
                    return 8;
                }
                case Protocol.SET_VRING_KICK, Protocol.SET_VRING_CALL, Protocol.SET_VRING_ERR -> {
                    long u = u64(payload, size);
                    int index = (int) (u & Protocol.VRING_INDEX_MASK);
                    if (index >= QUEUES) {
                        throw new ProtocolError(Protocol.name(request) + ": no queue " + index);
                    }
                    boolean noFd = (u & Protocol.VRING_NOFD) != 0;
                    if (noFd != (nfds == 0) || nfds > 1) {
                        throw new ProtocolError(Protocol.name(request) + ": " + nfds + " descriptors with flags 0x"
                                + Long.toHexString(u));
                    }
                    used = nfds;
                    EventFd e = noFd ? null : EventFd.adopt(fds[0]);
                    setEventFd(request, index, e);
                }
                case Protocol.SET_VRING_ENABLE -> {
                    Vring v = vring(payload, size, 8);
                    v.enabled = payload.getInt(4) != 0;
                    reconfigure();
                }
                default -> throw new ProtocolError("unsupported " + Protocol.name(request) + " (" + size
                        + " payload bytes): not negotiated by this back-end");
            }
            return -1;
        } catch (IOException e) {
            throw new ProtocolError(Protocol.name(request) + ": " + e.getMessage());
        } finally {
            for (int i = used; i < nfds; i++) {
                closeFd(fds[i]);
            }
        }
    }

    boolean protocolFeature(int bit) {
        return (protocolFeatures & (1L << bit)) != 0;
    }

    private static long u64(ByteBuffer p, int size) throws ProtocolError {
        if (size != 8) {
            throw new ProtocolError("payload of " + size + " bytes where a u64 is expected");
        }
        return p.getLong(0);
    }

    private Vring vring(ByteBuffer p, int size, int expected) throws ProtocolError {
        if (size != expected) {
            throw new ProtocolError("vring payload of " + size + " bytes, expected " + expected);
        }
        int index = p.getInt(0);
        if (index < 0 || index >= QUEUES) {
            throw new ProtocolError("no queue " + index + " (virtio-net without MQ has 2)");
        }
        return vrings[index];
    }

    private SplitRing ring(int index) {
        return index == NetQueues.RX ? queues.rxRing : queues.txRing;
    }

    private void setMemTable(ByteBuffer p, int size, int[] fds, int nfds) throws ProtocolError, IOException {
        if (size < 8) {
            throw new ProtocolError("SET_MEM_TABLE payload of " + size + " bytes");
        }
        int n = p.getInt(0);
        if (n < 1 || n > 8 || size != 8 + 32 * n || nfds != n) {
            for (int i = 0; i < nfds; i++) {
                closeFd(fds[i]);
            }
            throw new ProtocolError("SET_MEM_TABLE: " + n + " regions in " + size + " bytes with " + nfds + " fds");
        }
        long[] gpa = new long[n];
        long[] len = new long[n];
        long[] uva = new long[n];
        long[] host = new long[n];
        List<GuestMemoryNative.Mapping> fresh = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                int o = 8 + 32 * i;
                gpa[i] = p.getLong(o);
                len[i] = p.getLong(o + 8);
                uva[i] = p.getLong(o + 16);
                long offset = p.getLong(o + 24);
                GuestMemoryNative.Mapping m = GuestMemoryNative.map(fds[i], offset, len[i]);
                fresh.add(m);
                host[i] = m.address();
                log.debug("vhost-user: region {}: guest 0x{} size 0x{} front-end 0x{} offset 0x{}", i,
                        Long.toHexString(gpa[i]), Long.toHexString(len[i]), Long.toHexString(uva[i]),
                        Long.toHexString(offset));
            }
        } catch (IOException e) {
            unmapAll(fresh);
            throw e;
        } finally {
            // A mapping outlives its descriptor: keep no fd open for memory.
            for (int i = 0; i < nfds; i++) {
                closeFd(fds[i]);
            }
        }
        List<GuestMemoryNative.Mapping> old = new ArrayList<>(mappings);
        mappings.clear();
        mappings.addAll(fresh);
        memory = new GuestMemory(gpa, len, uva, host);
        reconfigure();
        unmapAll(old);
    }

    private void setEventFd(int request, int index, EventFd e) throws IOException {
        Vring v = vrings[index];
        switch (request) {
            case Protocol.SET_VRING_KICK -> {
                closeKick(v);
                v.kick = e;
                // Without protocol features a ring is enabled by its kick (vhost-user.rst, "Starting and stopping rings").
                if ((features & (1L << Protocol.F_PROTOCOL_FEATURES)) == 0) {
                    v.enabled = true;
                }
                v.started = e != null;
                if (e != null && index == NetQueues.TX) {
                    v.kickWatch = watcher.watch(e, onTxKick);
                }
                reconfigure();
            }
            case Protocol.SET_VRING_CALL -> {
                if (v.call != null) {
                    v.call.close();
                }
                v.call = e;
            }
            default -> {
                if (v.err != null) {
                    v.err.close();
                }
                v.err = e;
            }
        }
    }

    /** Points the rings at guest memory again after any change to features, table, address or state. */
    private void reconfigure() throws IOException {
        boolean eventIdx = (features & (1L << Protocol.F_RING_EVENT_IDX)) != 0;
        boolean mrg = (features & (1L << Protocol.F_NET_MRG_RXBUF)) != 0;
        boolean v1 = (features & (1L << Protocol.F_VERSION_1)) != 0;
        boolean indirect = (features & (1L << Protocol.F_RING_INDIRECT_DESC)) != 0;
        queues.configure(memory, v1 || mrg ? 12 : 10, mrg, indirect);
        for (int q = 0; q < QUEUES; q++) {
            Vring v = vrings[q];
            if (!v.started || !v.addrSet || v.num == 0) {
                continue;
            }
            long desc = memory.uvaToHost(v.descUva, SplitRing.descBytes(v.num));
            long avail = memory.uvaToHost(v.availUva, SplitRing.availBytes(v.num));
            long used = memory.uvaToHost(v.usedUva, SplitRing.usedBytes(v.num));
            if (desc == 0 || avail == 0 || used == 0) {
                if (memory.regions() == 0) {
                    continue; // the table comes later
                }
                throw new IOException("queue " + q + ": ring addresses outside the memory table");
            }
            SplitRing r = ring(q);
            if (v.running) {
                r.repoint(desc, avail, used, eventIdx); // a new table or address while running: keep the indices
            } else {
                r.configure(v.num, desc, avail, used, eventIdx, v.base);
                v.running = true;
            }
        }
        if (txReady() && memory.regions() > 0) {
            onTxKick.run(); // buffers may already be waiting
        }
    }

    private void stop(int index) {
        Vring v = vrings[index];
        v.started = false;
        v.running = false;
        closeKick(v);
    }

    private void stopAll() {
        for (int q = 0; q < QUEUES; q++) {
            stop(q);
        }
    }

    private void closeKick(Vring v) {
        if (v.kickWatch != null) {
            try {
                v.kickWatch.close();
            } catch (Exception e) {
                log.debug("vhost-user: cancelling a kick watch: {}", e.toString());
            }
            v.kickWatch = null;
        }
        if (v.kick != null) {
            v.kick.close();
            v.kick = null;
        }
    }

    private static void unmapAll(List<GuestMemoryNative.Mapping> ms) {
        for (GuestMemoryNative.Mapping m : ms) {
            try {
                GuestMemoryNative.unmap(m);
            } catch (IOException e) {
                log.warn("vhost-user: {}", e.getMessage());
            }
        }
    }

    private static void closeFd(int fd) {
        try {
            dev.sluice.core.host.Fds.close(fd);
        } catch (IOException e) {
            log.debug("vhost-user: {}", e.getMessage());
        }
    }

    /** Whether a message of this request type carries its own reply (others get REPLY_ACK when asked). */
    static boolean hasReply(int request) {
        return request == Protocol.GET_FEATURES || request == Protocol.GET_PROTOCOL_FEATURES
                || request == Protocol.GET_VRING_BASE || request == Protocol.GET_QUEUE_NUM;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Vring v : vrings) {
            v.started = false;
            closeKick(v);
            if (v.call != null) {
                v.call.close();
                v.call = null;
            }
            if (v.err != null) {
                v.err.close();
                v.err = null;
            }
        }
        memory = GuestMemory.EMPTY;
        queues.configure(memory, 12, false, false);
        unmapAll(mappings);
        mappings.clear();
    }
}
