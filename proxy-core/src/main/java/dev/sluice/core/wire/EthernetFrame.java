package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * Ethernet II header view. 802.1Q tags are recognised so the dispatcher can
 * count and drop them ({@link #isVlanTagged()}); Sluice's guest link is untagged.
 */
public final class EthernetFrame {
    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int ETHERTYPE = 12;
    public static final int HEADER_LEN = 14;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86dd;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_QINQ = 0x88a8;

    private ByteBuf buf;
    private int off;
    private int len;

    public boolean wrap(ByteBuf buf, int off, int len) {
        if (len < HEADER_LEN || off < 0 || buf.capacity() < off + len) {
            this.buf = null;
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return true;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    public int etherType() {
        return buf.getUnsignedShort(off + ETHERTYPE);
    }

    public boolean isVlanTagged() {
        int t = etherType();
        return t == TYPE_VLAN || t == TYPE_QINQ;
    }

    /** Offset of the payload (the L3 header) in the buffer. */
    public int payloadOffset() {
        return off + HEADER_LEN;
    }

    public int payloadLength() {
        return len - HEADER_LEN;
    }

    /** Destination MAC as a 48-bit value in a long. */
    public long dst() {
        return Mac.get(buf, off + DST);
    }

    public long src() {
        return Mac.get(buf, off + SRC);
    }

    public boolean isBroadcastOrMulticast() {
        return (buf.getUnsignedByte(off + DST) & 1) != 0;
    }

    /** Writes an Ethernet II header at {@code off}. */
    public static void emit(ByteBuf buf, int off, long dst, long src, int etherType) {
        Mac.set(buf, off + DST, dst);
        Mac.set(buf, off + SRC, src);
        buf.setShort(off + ETHERTYPE, etherType);
    }
}
