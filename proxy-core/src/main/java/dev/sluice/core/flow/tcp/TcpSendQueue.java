package dev.sluice.core.flow.tcp;

import io.netty.buffer.ByteBuf;

/**
 * Host data read for the guest and not yet acknowledged by it: the read
 * buffers themselves, in order, in a small ring (no allocation once it has
 * grown to the flow's window). Offsets count from the first unacknowledged
 * byte. Retransmissions are taken from here: the data is kept once.
 */
final class TcpSendQueue {
    private ByteBuf[] ring = new ByteBuf[8];
    private int head;
    private int count;
    private int bytes;

    /** Appends the readable bytes of {@code b}, taking ownership. */
    void add(ByteBuf b) {
        if (count == ring.length) {
            ByteBuf[] n = new ByteBuf[ring.length * 2];
            for (int i = 0; i < count; i++) {
                n[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = n;
            head = 0;
        }
        ring[(head + count) & (ring.length - 1)] = b;
        count++;
        bytes += b.readableBytes();
    }

    /** Bytes held. */
    int readableBytes() {
        return bytes;
    }

    /** Number of buffers held. */
    int buffers() {
        return count;
    }

    /** The {@code i}-th buffer from the front (its readable bytes are the data). */
    ByteBuf buffer(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    /** Drops the first {@code n} bytes (acknowledged), releasing buffers that are done. */
    void skip(int n) {
        bytes -= n;
        while (n > 0) {
            ByteBuf b = ring[head];
            int r = b.readableBytes();
            if (n < r) {
                b.skipBytes(n);
                return;
            }
            n -= r;
            b.release();
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            count--;
        }
    }

    /** Copies {@code len} bytes starting {@code off} bytes from the front into {@code dst} at {@code dstIdx}. */
    void copy(int off, ByteBuf dst, int dstIdx, int len) {
        for (int i = 0; i < count && len > 0; i++) {
            ByteBuf b = buffer(i);
            int r = b.readableBytes();
            if (off >= r) {
                off -= r;
                continue;
            }
            int n = Math.min(len, r - off);
            b.getBytes(b.readerIndex() + off, dst, dstIdx, n);
            dstIdx += n;
            len -= n;
            off = 0;
        }
    }

    void release() {
        while (count > 0) {
            ring[head].release();
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            count--;
        }
        bytes = 0;
    }
}
