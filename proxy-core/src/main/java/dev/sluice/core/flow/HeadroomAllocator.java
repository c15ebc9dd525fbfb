package dev.sluice.core.flow;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Hands a connected datagram channel direct buffers from the pool whose
 * first {@link #headroom()} bytes are reserved (reader and writer index start
 * there): netty's connected read lands the datagram after them, and the
 * Ethernet, IP and UDP headers for the guest are then written in front of it,
 * so a reply reaches the guest link without a copy.
 *
 * <p>Only for connected channels: netty's unconnected read path (recvmsg)
 * resets the writer index and would not honour the headroom. Readers check
 * {@code readerIndex() == headroom()} and copy otherwise.
 */
public final class HeadroomAllocator extends AbstractByteBufAllocator {
    private final ByteBufAllocator pool;
    private final int headroom;

    public HeadroomAllocator(ByteBufAllocator pool, int headroom) {
        super(true);
        this.pool = pool;
        this.headroom = headroom;
    }

    public int headroom() {
        return headroom;
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return newDirectBuffer(initialCapacity, maxCapacity);
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        int max = Math.min(maxCapacity, Integer.MAX_VALUE - headroom) + headroom;
        ByteBuf b = pool.directBuffer(initialCapacity + headroom, max);
        return b.setIndex(headroom, headroom);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return pool.isDirectBufferPooled();
    }
}
