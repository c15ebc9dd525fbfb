package dev.sluice.core.link.vhost;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * virtio-net's two queues over {@link SplitRing}s: the transmit queue
 * (guest → Sluice, queue 1) and the receive queue (Sluice → guest, queue 0).
 * Each frame is preceded in guest memory by a {@code virtio_net_hdr} of
 * {@code hdrLen} bytes (12 with VIRTIO_F_VERSION_1 or MRG_RXBUF, else 10).
 * No offload is negotiated, so on transmit the header is skipped unread and
 * on receive it is all zeros but {@code num_buffers}.
 *
 * <p>One copy per frame each way: a transmitted frame is gathered from its
 * descriptors into the link's reusable buffer (as a tap read() would), a
 * received one is scattered from the flow's buffer straight into the guest's.
 */
final class NetQueues {
    static final int RX = 0;
    static final int TX = 1;
    /** Buffers one received frame may span with MRG_RXBUF (64 KiB in 4 KiB pages is 17). */
    static final int MAX_MERGED = 64;

    final SplitRing rxRing = new SplitRing();
    final SplitRing txRing = new SplitRing();
    private final DescriptorChain chain = new DescriptorChain();
    private final int[] mergedHeads = new int[MAX_MERGED];
    private final int[] mergedLens = new int[MAX_MERGED];
    private final ByteBuffer hdr = ByteBuffer.allocateDirect(12).order(ByteOrder.LITTLE_ENDIAN);
    private final long hdrAddr = PlatformDependent.directBufferAddress(hdr);

    private GuestMemory mem = GuestMemory.EMPTY;
    private int hdrLen = 12;
    private boolean mergeable;
    private boolean indirect;
    /** Why the last frame was refused or a chain was bad, for the caller's log; null when none. */
    String lastError;

    void configure(GuestMemory mem, int hdrLen, boolean mergeable, boolean indirect) {
        this.mem = mem;
        this.hdrLen = hdrLen;
        this.mergeable = mergeable;
        this.indirect = indirect;
    }

    /** Outcome counts of {@link #drainTx}. */
    int txFrames;
    int txBad;

    /**
     * Takes up to {@code budget} frames the guest transmitted: each is copied
     * into {@code out} (cleared first, header stripped) and handed to
     * {@code sink}, and its buffer returned through the used ring.
     *
     * @return true when buffers remain (budget exhausted): call again soon
     */
    boolean drainTx(ByteBuf out, Consumer<ByteBuf> sink, int budget) {
        SplitRing ring = txRing;
        int done = 0;
        txFrames = 0;
        txBad = 0;
        while (true) {
            int n = ring.availCount();
            if (n == 0) {
                if (!ring.enableKicks()) {
                    return false;
                }
                continue;
            }
            if (done == budget) {
                return true;
            }
            ring.disableKicks();
            int head = ring.peekHead(0);
            ring.consume(1);
            done++;
            String err = chain.load(ring, mem, head, indirect);
            if (err == null && chain.writableBytes > 0) {
                err = "transmit buffer with writable segments";
            }
            long frameLen = chain.readableBytes - hdrLen;
            if (err == null && (frameLen < 14 || frameLen > out.capacity())) {
                err = "transmit frame of " + frameLen + " bytes";
            }
            if (err != null) {
                lastError = err;
                txBad++;
                ring.putUsed(head, 0);
                continue;
            }
            gather(out);
            ring.putUsed(head, 0);
            txFrames++;
            sink.accept(out);
        }
    }

    private void gather(ByteBuf out) {
        out.clear();
        long dst = out.memoryAddress();
        int skip = hdrLen;
        int w = 0;
        for (int s = 0; s < chain.count; s++) {
            int l = chain.len[s];
            long src = chain.addr[s];
            if (skip > 0) {
                int k = Math.min(skip, l);
                skip -= k;
                l -= k;
                src += k;
            }
            if (l > 0) {
                PlatformDependent.copyMemory(src, dst + w, l);
                w += l;
            }
        }
        out.writerIndex(w);
    }

    /**
     * Writes one frame (its readable bytes) into the guest's receive buffers:
     * the used elements are written but published only by the caller's
     * {@link SplitRing#publish()}. False when the guest has not posted enough
     * room (the frame is then dropped, nothing consumed) or a buffer is bad.
     */
    boolean deliverRx(ByteBuf frame) {
        SplitRing ring = rxRing;
        int frameLen = frame.readableBytes();
        long total = (long) hdrLen + frameLen;
        int avail = ring.availCount();
        long src = frame.memoryAddress() + frame.readerIndex();
        long remaining = total;
        int k = 0;
        long done = 0;
        while (remaining > 0) {
            if (k == avail || k == MAX_MERGED || (k == 1 && !mergeable)) {
                lastError = k == avail ? null : "frame needs more than " + k + " receive buffers";
                return false;
            }
            int head = ring.peekHead(k);
            String err = chain.load(ring, mem, head, indirect);
            if (err == null && chain.readableBytes > 0) {
                err = "receive buffer with read-only segments";
            }
            if (err == null && k == 0 && chain.writableBytes < hdrLen) {
                err = "receive buffer shorter than the virtio-net header";
            }
            if (err != null) {
                // Consume the bad buffer so the ring moves on; this frame is lost.
                lastError = err;
                ring.consume(k + 1);
                for (int i = 0; i < k; i++) {
                    ring.putUsed(mergedHeads[i], 0);
                }
                ring.putUsed(head, 0);
                return false;
            }
            long room = Math.min(chain.writableBytes, remaining);
            scatter(done, room, src, frameLen);
            mergedHeads[k] = head;
            mergedLens[k] = (int) room;
            done += room;
            remaining -= room;
            k++;
        }
        // The header goes last: only now is num_buffers known. Its bytes lie in the first buffer.
        hdr.putLong(0, 0L).putShort(8, (short) 0).putShort(10, (short) k);
        if (k > 1) {
            chain.load(ring, mem, mergedHeads[0], indirect);
        }
        scatterHeader();
        for (int i = 0; i < k; i++) {
            ring.putUsed(mergedHeads[i], mergedLens[i]);
        }
        ring.consume(k);
        return true;
    }

    /** Copies bytes [from, from+n) of (header ++ frame) into the loaded chain, from its start. */
    private void scatter(long from, long n, long frameAddr, int frameLen) {
        // Within this chain, position 0 is byte 'from' of the whole (header ++ frame).
        long pos = 0;
        for (int s = 0; s < chain.count && pos < n; s++) {
            long l = Math.min(chain.len[s], n - pos);
            long abs = from + pos;
            long dst = chain.addr[s];
            long hdrPart = Math.max(0, Math.min(l, hdrLen - abs)); // header bytes: written later
            long dataOff = abs + hdrPart - hdrLen;
            long dataLen = l - hdrPart;
            if (dataLen > 0) {
                PlatformDependent.copyMemory(frameAddr + dataOff, dst + hdrPart, dataLen);
            }
            pos += l;
        }
    }

    private void scatterHeader() {
        int left = hdrLen;
        int off = 0;
        for (int s = 0; s < chain.count && left > 0; s++) {
            int l = Math.min(chain.len[s], left);
            PlatformDependent.copyMemory(hdrAddr + off, chain.addr[s], l);
            off += l;
            left -= l;
        }
    }
}
