package dev.sluice.core.link;

import dev.sluice.core.Counters;
import dev.sluice.core.LogLimiter;
import dev.sluice.core.pcap.PcapWriter;
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

/**
 * pasta-style guest link: a tap device (IFF_TAP|IFF_NO_PI, opened
 * non-blocking in the guest's namespace by {@code host.Tun}) registered on the
 * same epoll event loop as every flow, through netty 4.2's {@link EpollIoHandle}:
 * no extra thread, no copies. One read or write is one frame.
 */
public final class TapLink implements GuestLink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TapLink.class);
    /** Frames read per wakeup before yielding to other work on the loop. */
    private static final int READ_BUDGET = 64;

    private final IoEventLoop loop;
    private final LogLimiter readLog = new LogLimiter();
    private final FileDescriptor fd;
    private final String name;
    private final PcapWriter pcap;
    private final ByteBuf rx;
    private final int maxFrame;
    private final Counters.Counter rxFrames;
    private final Counters.Counter txFrames;
    private final Counters.Counter txDropped;
    private final Counters.Counter rxBadLength;
    private FrameHandler handler;
    private IoRegistration registration;
    private volatile boolean up;

    /**
     * @param tapFd an open, non-blocking tap file descriptor; the link owns and closes it
     * @param name  for logs: the device name in the namespace
     * @param mtu   the guest's MTU (bounds the receive buffer)
     */
    public TapLink(IoEventLoop loop, ByteBufAllocator alloc, int tapFd, String name, int mtu, Counters counters,
                   PcapWriter pcap) {
        this.loop = loop;
        this.fd = new FileDescriptor(tapFd);
        this.name = name;
        this.pcap = pcap;
        this.maxFrame = mtu + 14;
        // Room for a frame bigger than the MTU, so an oversized one is seen whole and counted.
        this.rx = alloc.directBuffer(65536 + 14 + 4);
        this.rxFrames = counters.get("link.rx_frames");
        this.txFrames = counters.get("link.tx_frames");
        this.txDropped = counters.get("link.tx_dropped");
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
        try {
            if (!up) {
                txDropped.inc();
                return;
            }
            if (pcap != null) {
                pcap.write(frame);
            }
            int len = frame.readableBytes();
            int n;
            if (frame.hasMemoryAddress()) {
                n = fd.writeAddress(frame.memoryAddress(), frame.readerIndex(), frame.readerIndex() + len);
            } else {
                n = fd.write(frame.nioBuffer(), 0, len);
            }
            if (n == len) {
                txFrames.inc();
            } else {
                // EAGAIN: the tap queue is full. TCP retransmits; UDP is lossy anyway.
                txDropped.inc();
            }
        } catch (IOException e) {
            txDropped.inc();
            log.debug("tap write failed: {}", e.toString());
        } finally {
            frame.release();
        }
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
        if (rx.refCnt() > 0) {
            rx.release();
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
            if (n > maxFrame || n < 14) {
                rxBadLength.inc();
                continue;
            }
            rxFrames.inc();
            rx.setIndex(0, n);
            if (pcap != null) {
                pcap.write(rx);
            }
            if (handler != null) {
                handler.onFrame(rx);
            }
        }
        flush();
    }

    private final class Handle implements EpollIoHandle {
        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
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
