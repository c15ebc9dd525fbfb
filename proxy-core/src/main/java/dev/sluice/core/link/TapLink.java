package dev.sluice.core.link;

import dev.sluice.core.Counters;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.host.Fds;
import dev.sluice.core.host.TapOffload;
import dev.sluice.core.host.Tun;
import dev.sluice.core.pcap.PcapWriter;
import dev.sluice.core.wire.Checksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * pasta-style guest link: a tap device (IFF_TAP|IFF_NO_PI, opened
 * non-blocking in the guest's namespace by {@code host.Tun}) registered on the
 * same epoll event loop as every flow, through netty 4.2's {@link EpollIoHandle}:
 * no extra thread. One read or write is one frame, read into one reused
 * buffer and written from the caller's buffer (no copy).
 *
 * <p>With a virtio_net_hdr ({@link #open}: IFF_VNET_HDR and TUNSETOFFLOAD
 * CSUM|TSO4|TSO6) the guest's kernel leaves TCP/UDP checksums partial and
 * sends TCP super-frames of up to 64 KiB whatever its MTU: such frames are
 * taken whole and passed on as {@link FrameHandler#RX_CSUM_VALID}. Towards the
 * guest, {@link #sendOffloaded} lets its kernel complete checksums and cut
 * super-frames; the header and the frame go out in one writev.
 *
 * <p>A write the tap refuses (EAGAIN) keeps the frame in a small backlog, the
 * link turns {@linkplain #isWritable() unwritable} and waits for EPOLLOUT.
 * In practice a tap rarely refuses: the kernel delivers a written frame
 * inline, and what the guest's sockets cannot take they drop themselves.
 */
public final class TapLink implements GuestLink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TapLink.class);
    /** Frames read per wakeup before yielding to other work on the loop. */
    private static final int READ_BUDGET = 64;
    /** The longest frame a super-frame can be: a 64 KiB IP packet and its Ethernet header. */
    static final int MAX_GSO_FRAME = 65535 + 14;
    /** Frames kept while the tap refuses writes; more are dropped (counted). */
    static final int BACKLOG = 256;
    /** The system property that turns the tap's offloads off ("false"): for comparisons and bisecting. */
    public static final String OFFLOAD_PROPERTY = "sluice.tap.offload";

    private final IoEventLoop loop;
    private final LogLimiter readLog = new LogLimiter();
    private final LogLimiter dropLog = new LogLimiter();
    private final FileDescriptor fd;
    private final String name;
    private final PcapWriter pcap;
    private final ByteBuf rx;
    private final int maxFrame;
    /** virtio_net_hdr bytes before each frame: 0 or {@link VnetHeader#LEN}. */
    private final int hdrLen;
    private final Offloads offloads;
    /** The header of the frame being written and the two-entry iovec array pointing at it and the frame. */
    private final ByteBuf txHdr;
    private final ByteBuf iov;
    private final ByteBuf[] backlog = new ByteBuf[BACKLOG];
    private final int[] backlogGso = new int[BACKLOG];
    private int backlogHead;
    private int backlogCount;
    private boolean writable = true;
    private final List<Runnable> writabilityListeners = new ArrayList<>(2);
    private final Counters.Counter rxFrames;
    private final Counters.Counter rxGso;
    private final Counters.Counter rxBadGso;
    private final Counters.Counter txFrames;
    private final Counters.Counter txOffloaded;
    private final Counters.Counter txGso;
    private final Counters.Counter txDropped;
    private final Counters.Counter txBadOffload;
    private final Counters.Counter txBackpressure;
    private final Counters.Counter rxBadLength;
    private FrameHandler handler;
    private IoRegistration registration;
    private volatile boolean up;

    /** A tap fd and whether it carries a virtio_net_hdr. */
    public record Device(int fd, boolean vnetHdr) {
    }

    /**
     * Opens the tap in the namespace, with offloads unless the system property
     * {@value #OFFLOAD_PROPERTY} is "false". Falls back to a plain tap when the
     * kernel refuses IFF_VNET_HDR or its header size, saying so in one warning
     * (frames then cost a syscall and a checksum each, as before).
     */
    /** Opens a tap by name, with or without IFF_VNET_HDR: {@code NsAccess::openTap}, or {@code Tun.openTap} in tests. */
    @FunctionalInterface
    public interface Opener {
        int openTap(String ifName, boolean vnetHdr) throws IOException;
    }

    public static Device open(Opener ns, String ifName) throws IOException {
        if ("false".equals(System.getProperty(OFFLOAD_PROPERTY))) {
            log.info("tap {}: offloads off ({}=false)", ifName, OFFLOAD_PROPERTY);
            return new Device(ns.openTap(ifName, false), false);
        }
        int fd = -1;
        try {
            fd = ns.openTap(ifName, true);
            TapOffload.setHeaderSize(fd, TapOffload.HDR_LEN);
        } catch (IOException e) {
            Fds.close(fd); // the plain tap below takes the same name
            log.warn("tap {}: no virtio-net header ({}): running without checksum offload and GSO", ifName,
                    e.getMessage());
            return new Device(ns.openTap(ifName, false), false);
        }
        try {
            TapOffload.setOffloads(fd, TapOffload.SLUICE_OFFLOADS);
        } catch (IOException e) {
            // Frames to the guest may still ask for checksums and GSO; those from it come complete.
            log.warn("tap {}: {}: frames from the guest arrive segmented and checksummed", ifName, e.getMessage());
        }
        return new Device(fd, true);
    }

    /** A tap without a virtio_net_hdr. */
    public TapLink(IoEventLoop loop, ByteBufAllocator alloc, int tapFd, String name, int mtu, Counters counters,
                   PcapWriter pcap) {
        this(loop, alloc, new Device(tapFd, false), name, mtu, counters, pcap);
    }

    /**
     * @param tap   an open, non-blocking tap file descriptor ({@link #open}); the link owns and closes it
     * @param name  for logs: the device name in the namespace
     * @param mtu   the guest's MTU (bounds frames that are not super-frames)
     */
    public TapLink(IoEventLoop loop, ByteBufAllocator alloc, Device tap, String name, int mtu, Counters counters,
                   PcapWriter pcap) {
        this.loop = loop;
        this.fd = new FileDescriptor(tap.fd());
        this.name = name;
        this.pcap = pcap;
        this.maxFrame = mtu + 14;
        this.hdrLen = tap.vnetHdr() ? VnetHeader.LEN : 0;
        this.offloads = tap.vnetHdr() ? new Offloads(true, MAX_GSO_FRAME) : Offloads.NONE;
        // Room for a frame bigger than the MTU, so an oversized one is seen whole and counted.
        this.rx = alloc.directBuffer(hdrLen + 65536 + 14 + 4);
        this.txHdr = alloc.directBuffer(16);
        this.iov = alloc.directBuffer(32);
        this.rxFrames = counters.get("link.rx_frames");
        this.rxGso = counters.get("link.rx_gso_frames");
        this.rxBadGso = counters.get("link.rx_bad_gso");
        this.txFrames = counters.get("link.tx_frames");
        this.txOffloaded = counters.get("link.tx_offloaded");
        this.txGso = counters.get("link.tx_gso_frames");
        this.txDropped = counters.get("link.tx_dropped");
        this.txBadOffload = counters.get("link.tx_bad_offload");
        this.txBackpressure = counters.get("link.tx_backpressure");
        this.rxBadLength = counters.get("link.rx_bad_length");
    }

    public void setHandler(FrameHandler handler) {
        this.handler = handler;
    }

    /** Registers the tap on the loop and starts reading. */
    public void start() throws IOException {
        try {
            registration = loop.register(new Handle()).sync().getNow();
            registration.submit(EpollIoOps.EPOLLIN);
        } catch (Exception e) {
            throw new IOException("cannot register tap " + name + " on the event loop: " + e.getMessage(), e);
        }
        up = true;
        loop.execute(() -> {
            if (handler != null) {
                handler.onLinkUp();
            }
        });
    }

    @Override
    public void send(ByteBuf frame) {
        submit(frame, -1);
    }

    @Override
    public Offloads offloads() {
        return offloads;
    }

    @Override
    public void sendOffloaded(ByteBuf frame, int gsoSize) {
        if (hdrLen == 0) {
            GuestLink.super.sendOffloaded(frame, gsoSize);
            return;
        }
        submit(frame, Math.max(0, gsoSize));
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public void addWritabilityListener(Runnable listener) {
        writabilityListeners.add(listener);
    }

    /** @param gso -1: a complete frame; 0: checksum offload; above: also segment at that payload size */
    private void submit(ByteBuf frame, int gso) {
        if (!up) {
            drop(frame, "the tap is closed");
            return;
        }
        if (gso >= 0 && frame.readableBytes() > MAX_GSO_FRAME) {
            txBadOffload.inc();
            drop(frame, "an offloaded frame longer than " + MAX_GSO_FRAME + " bytes");
            return;
        }
        if (pcap != null) {
            pcap.write(frame);
        }
        if (backlogCount > 0) {
            enqueue(frame, gso);
            return;
        }
        if (!write(frame, gso)) {
            enqueue(frame, gso);
            setUnwritable();
        }
    }

    /**
     * One frame to the tap. True: written or dropped (released); false: the
     * tap is full (EAGAIN), the frame is untouched and still the caller's.
     */
    private boolean write(ByteBuf frame, int gso) {
        try {
            int len = frame.readableBytes();
            long n;
            if (hdrLen == 0) {
                n = frame.hasMemoryAddress()
                        ? fd.writeAddress(frame.memoryAddress(), frame.readerIndex(), frame.readerIndex() + len)
                        : fd.write(frame.nioBuffer(), 0, len);
            } else {
                if (gso < 0) {
                    VnetHeader.writePlain(txHdr, 0);
                } else if (!VnetHeader.writeOffloaded(txHdr, 0, frame, gso)) {
                    txBadOffload.inc();
                    drop(frame, "an offloaded frame that is not TCP or UDP over IPv4 or IPv6");
                    return true;
                }
                if (!frame.hasMemoryAddress()) {
                    txDropped.inc();
                    frame.release();
                    return true; // every frame on the data path is direct; a heap one is a bug upstream
                }
                iov.setLongLE(0, txHdr.memoryAddress());
                iov.setLongLE(8, hdrLen);
                iov.setLongLE(16, frame.memoryAddress() + frame.readerIndex());
                iov.setLongLE(24, len);
                n = fd.writevAddresses(iov.memoryAddress(), 2);
                if (n > 0) {
                    n -= hdrLen;
                }
            }
            if (n == 0) {
                return false; // EAGAIN
            }
            if (n == len) {
                txFrames.inc();
                if (gso >= 0) {
                    txOffloaded.inc();
                    if (txHdr.getByte(1) != VnetHeader.GSO_NONE) {
                        txGso.inc();
                    }
                }
            } else {
                txDropped.inc(); // a tap takes a frame whole or not at all; never seen
            }
        } catch (IOException e) {
            txDropped.inc();
            if (dropLog.allow()) {
                log.warn("tap {} write failed (counted in link.tx_dropped; {} more since the last line): {}", name,
                        dropLog.suppressed(), e.toString());
            }
        }
        frame.release();
        return true;
    }

    private void enqueue(ByteBuf frame, int gso) {
        if (backlogCount == BACKLOG) {
            drop(frame, "its backlog full (" + BACKLOG + " frames)");
            return;
        }
        int i = (backlogHead + backlogCount) % BACKLOG;
        backlog[i] = frame;
        backlogGso[i] = gso;
        backlogCount++;
        txBackpressure.inc();
    }

    private void setUnwritable() {
        if (!writable) {
            return;
        }
        writable = false;
        if (registration != null) {
            registration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT));
        }
    }

    /** EPOLLOUT: writes the backlog in order; when it is empty the link is writable again. */
    private void drainBacklog() {
        while (backlogCount > 0) {
            ByteBuf f = backlog[backlogHead];
            if (!write(f, backlogGso[backlogHead])) {
                return; // still full; EPOLLOUT stays armed
            }
            backlog[backlogHead] = null;
            backlogHead = (backlogHead + 1) % BACKLOG;
            backlogCount--;
        }
        if (!writable) {
            writable = true;
            if (registration != null) {
                registration.submit(EpollIoOps.EPOLLIN);
            }
            for (Runnable r : writabilityListeners) {
                r.run();
            }
            flush();
        }
    }

    private void drop(ByteBuf frame, String why) {
        txDropped.inc();
        if (dropLog.allow()) {
            log.warn("tap {}: dropped a frame to the guest: {} (counted in link.tx_dropped; {} more since the last line)",
                    name, why, dropLog.suppressed());
        }
        frame.release();
    }

    @Override
    public void flush() {
        if (pcap != null) {
            pcap.flush();
        }
    }

    @Override
    public boolean isUp() {
        return up;
    }

    @Override
    public void close() {
        up = false;
        if (loop.inEventLoop()) {
            closeOnLoop();
        } else {
            loop.submit(this::closeOnLoop).awaitUninterruptibly();
        }
    }

    private void closeOnLoop() {
        if (registration != null) {
            registration.cancel();
            registration = null;
        }
        try {
            fd.close();
        } catch (IOException e) {
            log.debug("closing tap: {}", e.toString());
        }
        while (backlogCount > 0) {
            backlog[backlogHead].release();
            backlog[backlogHead] = null;
            backlogHead = (backlogHead + 1) % BACKLOG;
            backlogCount--;
        }
        for (ByteBuf b : new ByteBuf[] {rx, txHdr, iov}) {
            if (b.refCnt() > 0) {
                b.release();
            }
        }
    }

    private void readBatch() {
        for (int i = 0; i < READ_BUDGET; i++) {
            int n;
            try {
                n = fd.readAddress(rx.memoryAddress(), 0, rx.capacity());
            } catch (IOException e) {
                if (readLog.allow()) {
                    log.warn("tap {} read failed: {}", name, e.toString());
                }
                return;
            }
            if (n <= 0) {
                break; // 0: EAGAIN (drained); -1: EOF (device gone)
            }
            int len = n - hdrLen;
            int flags = 0;
            int bound = maxFrame;
            if (hdrLen > 0) {
                int vflags = VnetHeader.flags(rx, 0);
                if ((vflags & (VnetHeader.F_DATA_VALID | VnetHeader.F_NEEDS_CSUM)) != 0) {
                    flags = FrameHandler.RX_CSUM_VALID;
                }
                int gsoType = VnetHeader.gsoType(rx, 0) & ~VnetHeader.GSO_ECN;
                if (gsoType != VnetHeader.GSO_NONE) {
                    if (gsoType != VnetHeader.GSO_TCPV4 && gsoType != VnetHeader.GSO_TCPV6) {
                        rxBadGso.inc(); // UDP super-frames are never asked for (no TUN_F_USO)
                        continue;
                    }
                    bound = MAX_GSO_FRAME;
                    rxGso.inc();
                }
            }
            if (len > bound || len < 14) {
                rxBadLength.inc();
                continue;
            }
            if (hdrLen > 0 && (VnetHeader.flags(rx, 0) & VnetHeader.F_NEEDS_CSUM) != 0
                    && !completeChecksum(len)) {
                rxBadLength.inc();
                continue;
            }
            rxFrames.inc();
            rx.setIndex(hdrLen, n);
            if (pcap != null) {
                pcap.write(rx);
            }
            if (handler != null) {
                handler.onFrame(rx, flags);
            }
        }
        flush();
    }

    /**
     * A partial checksum from the guest's kernel is completed here unless it
     * is TCP's (offset 16), which the TCP handler trusts as RX_CSUM_VALID:
     * UDP (DHCP, DHCPv6, DNS...) is small, and its readers verify checksums.
     * False: the header points outside the frame.
     */
    private boolean completeChecksum(int len) {
        int start = rx.getUnsignedShortLE(6);
        int offset = rx.getUnsignedShortLE(8);
        if (start + offset + 2 > len) {
            return false;
        }
        if (offset == 16) {
            return true;
        }
        int field = hdrLen + start + offset;
        // The field holds the pseudo-header sum: summing the range with it in place gives the checksum.
        int c = Checksum.finish(Checksum.add(0, rx, hdrLen + start, len - start));
        rx.setShort(field, c == 0 && offset == 6 ? 0xffff : c); // UDP sends a zero checksum as all ones
        return true;
    }

    private final class Handle implements EpollIoHandle {
        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (ops.contains(EpollIoOps.EPOLLOUT)) {
                drainBacklog();
            }
            if (ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLERR)) {
                readBatch();
            }
        }

        @Override
        public void close() {
            // The link closes the descriptor itself in closeOnLoop().
        }
    }
}
