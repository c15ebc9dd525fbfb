package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * IPv4 header view (RFC 791). Options are skipped (the header length says
 * where the payload starts); fragments are recognised so the dispatcher can
 * count and drop them ({@link #isFragment()}).
 */
public final class Ipv4Packet {
    public static final int VER_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LEN = 2;
    public static final int IDENT = 4;
    public static final int FLAGS_FRAG = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC = 12;
    public static final int DST = 16;
    public static final int MIN_HEADER_LEN = 20;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAG_OFFSET_MASK = 0x1fff;

    private ByteBuf buf;
    private int off;

    /**
     * Points at an IPv4 header at {@code off} with {@code len} bytes available
     * (the Ethernet payload, which may carry padding past the total length).
     * False on a wrong version, a header length below 20 or beyond the data,
     * or a total length that does not fit.
     */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < MIN_HEADER_LEN || buf.capacity() < off + len) {
            return false;
        }
        int vihl = buf.getUnsignedByte(off + VER_IHL);
        if ((vihl >>> 4) != 4) {
            return false;
        }
        int hl = (vihl & 0xf) * 4;
        int total = buf.getUnsignedShort(off + TOTAL_LEN);
        if (hl < MIN_HEADER_LEN || total < hl || total > len) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        return true;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int headerLength() {
        return (buf.getUnsignedByte(off + VER_IHL) & 0xf) * 4;
    }

    public int totalLength() {
        return buf.getUnsignedShort(off + TOTAL_LEN);
    }

    public int payloadOffset() {
        return off + headerLength();
    }

    public int payloadLength() {
        return totalLength() - headerLength();
    }

    public int tos() {
        return buf.getUnsignedByte(off + TOS);
    }

    public int ident() {
        return buf.getUnsignedShort(off + IDENT);
    }

    public boolean dontFragment() {
        return (buf.getUnsignedShort(off + FLAGS_FRAG) & FLAG_DF) != 0;
    }

    /** True for any piece of a fragmented datagram (MF set or a non-zero offset). */
    public boolean isFragment() {
        int ff = buf.getUnsignedShort(off + FLAGS_FRAG);
        return (ff & FLAG_MF) != 0 || (ff & FRAG_OFFSET_MASK) != 0;
    }

    public int ttl() {
        return buf.getUnsignedByte(off + TTL);
    }

    public int protocol() {
        return buf.getUnsignedByte(off + PROTOCOL);
    }

    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    public boolean verifyChecksum() {
        return Checksum.verify(buf, off, headerLength());
    }

    public int src() {
        return buf.getInt(off + SRC);
    }

    public int dst() {
        return buf.getInt(off + DST);
    }

    /** Pseudo-header sum for the upper-layer checksum of this packet's payload. */
    public long pseudoHeaderSum() {
        return Checksum.pseudoV4(src(), dst(), protocol(), payloadLength());
    }

    /**
     * Writes a 20-byte header (no options) at {@code off}, checksum included.
     * {@code payloadLen} is the length of what follows the header.
     */
    public static void emit(ByteBuf buf, int off, int src, int dst, int protocol, int payloadLen, int ttl, int ident) {
        buf.setByte(off + VER_IHL, 0x45);
        buf.setByte(off + TOS, 0);
        buf.setShort(off + TOTAL_LEN, MIN_HEADER_LEN + payloadLen);
        buf.setShort(off + IDENT, ident);
        buf.setShort(off + FLAGS_FRAG, FLAG_DF);
        buf.setByte(off + TTL, ttl);
        buf.setByte(off + PROTOCOL, protocol);
        buf.setShort(off + CHECKSUM, 0);
        buf.setInt(off + SRC, src);
        buf.setInt(off + DST, dst);
        buf.setShort(off + CHECKSUM, Checksum.compute(buf, off, MIN_HEADER_LEN));
    }
}
