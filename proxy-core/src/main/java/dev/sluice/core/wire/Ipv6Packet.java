package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * IPv6 header view (RFC 8200), with a walk over extension headers
 * ({@link #upperLayer()}) so the dispatcher finds TCP/UDP/ICMPv6 behind
 * hop-by-hop, routing and destination options. A fragment header ends the
 * walk with {@link #NH_FRAGMENT}: fragments are counted and dropped upstream.
 */
public final class Ipv6Packet {
    public static final int VER_TC_FLOW = 0;
    public static final int PAYLOAD_LEN = 4;
    public static final int NEXT_HEADER = 6;
    public static final int HOP_LIMIT = 7;
    public static final int SRC = 8;
    public static final int DST = 24;
    public static final int HEADER_LEN = 40;

    public static final int NH_HOP_BY_HOP = 0;
    public static final int NH_TCP = 6;
    public static final int NH_UDP = 17;
    public static final int NH_ROUTING = 43;
    public static final int NH_FRAGMENT = 44;
    public static final int NH_ICMPV6 = 58;
    public static final int NH_NONE = 59;
    public static final int NH_DEST_OPTS = 60;

    /** Bounds the extension-header walk: a chain longer than this is malformed. */
    private static final int MAX_EXT_HEADERS = 8;

    private ByteBuf buf;
    private int off;
    private int upperProto;
    private int upperOff;

    /**
     * Points at an IPv6 header with {@code len} bytes available and walks the
     * extension headers. False on a wrong version, a payload length beyond the
     * data, or a truncated or over-long extension chain.
     */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < HEADER_LEN || buf.capacity() < off + len) {
            return false;
        }
        if ((buf.getUnsignedByte(off) >>> 4) != 6) {
            return false;
        }
        int payload = buf.getUnsignedShort(off + PAYLOAD_LEN);
        if (HEADER_LEN + payload > len) {
            return false;
        }
        int end = off + HEADER_LEN + payload;
        int nh = buf.getUnsignedByte(off + NEXT_HEADER);
        int p = off + HEADER_LEN;
        for (int i = 0; ; i++) {
            if (nh == NH_HOP_BY_HOP || nh == NH_ROUTING || nh == NH_DEST_OPTS) {
                if (i >= MAX_EXT_HEADERS || p + 8 > end) {
                    return false;
                }
                int extLen = (buf.getUnsignedByte(p + 1) + 1) * 8;
                if (p + extLen > end) {
                    return false;
                }
                nh = buf.getUnsignedByte(p);
                p += extLen;
            } else {
                break;
            }
        }
        this.buf = buf;
        this.off = off;
        this.upperProto = nh;
        this.upperOff = p;
        return true;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int payloadLength() {
        return buf.getUnsignedShort(off + PAYLOAD_LEN);
    }

    /** The first header's Next Header field (before the extension walk). */
    public int nextHeader() {
        return buf.getUnsignedByte(off + NEXT_HEADER);
    }

    public int hopLimit() {
        return buf.getUnsignedByte(off + HOP_LIMIT);
    }

    /** Protocol after the extension headers (TCP, UDP, ICMPv6, {@link #NH_FRAGMENT}, ...). */
    public int upperLayer() {
        return upperProto;
    }

    /** Offset of the upper-layer header in the buffer. */
    public int upperLayerOffset() {
        return upperOff;
    }

    /** Length of the upper-layer data (payload minus extension headers). */
    public int upperLayerLength() {
        return off + HEADER_LEN + payloadLength() - upperOff;
    }

    public long srcHi() {
        return buf.getLong(off + SRC);
    }

    public long srcLo() {
        return buf.getLong(off + SRC + 8);
    }

    public long dstHi() {
        return buf.getLong(off + DST);
    }

    public long dstLo() {
        return buf.getLong(off + DST + 8);
    }

    public void srcBytes(byte[] dst16) {
        buf.getBytes(off + SRC, dst16, 0, 16);
    }

    public void dstBytes(byte[] dst16) {
        buf.getBytes(off + DST, dst16, 0, 16);
    }

    /** Pseudo-header sum for the upper-layer checksum. */
    public long pseudoHeaderSum() {
        return Checksum.pseudoV6(buf, off, upperProto, upperLayerLength());
    }

    /** Writes a 40-byte header at {@code off} with addresses given as 16-byte arrays. */
    public static void emit(ByteBuf buf, int off, byte[] src, byte[] dst, int nextHeader, int payloadLen, int hopLimit) {
        buf.setInt(off + VER_TC_FLOW, 0x6000_0000);
        buf.setShort(off + PAYLOAD_LEN, payloadLen);
        buf.setByte(off + NEXT_HEADER, nextHeader);
        buf.setByte(off + HOP_LIMIT, hopLimit);
        buf.setBytes(off + SRC, src, 0, 16);
        buf.setBytes(off + DST, dst, 0, 16);
    }

    /** Writes a 40-byte header at {@code off} with addresses as (high, low) halves. */
    public static void emit(ByteBuf buf, int off, long srcHi, long srcLo, long dstHi, long dstLo,
                            int nextHeader, int payloadLen, int hopLimit) {
        buf.setInt(off + VER_TC_FLOW, 0x6000_0000);
        buf.setShort(off + PAYLOAD_LEN, payloadLen);
        buf.setByte(off + NEXT_HEADER, nextHeader);
        buf.setByte(off + HOP_LIMIT, hopLimit);
        buf.setLong(off + SRC, srcHi);
        buf.setLong(off + SRC + 8, srcLo);
        buf.setLong(off + DST, dstHi);
        buf.setLong(off + DST + 8, dstLo);
    }
}
