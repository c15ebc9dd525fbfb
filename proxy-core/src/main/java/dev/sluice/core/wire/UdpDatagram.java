package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/** UDP header view (RFC 768). */
public final class UdpDatagram {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int LENGTH = 4;
    public static final int CHECKSUM = 6;
    public static final int HEADER_LEN = 8;

    private ByteBuf buf;
    private int off;

    /** False when {@code len} cannot hold the header or the length field disagrees with the data. */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < HEADER_LEN || buf.capacity() < off + len) {
            return false;
        }
        int l = buf.getUnsignedShort(off + LENGTH);
        if (l < HEADER_LEN || l > len) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        return true;
    }

    public int offset() {
        return off;
    }

    public int srcPort() {
        return buf.getUnsignedShort(off + SRC_PORT);
    }

    public int dstPort() {
        return buf.getUnsignedShort(off + DST_PORT);
    }

    public int length() {
        return buf.getUnsignedShort(off + LENGTH);
    }

    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    public int payloadOffset() {
        return off + HEADER_LEN;
    }

    public int payloadLength() {
        return length() - HEADER_LEN;
    }

    /**
     * Verifies the checksum given the IP pseudo-header sum. A zero checksum
     * means "none" over IPv4 and is accepted there; over IPv6 it is invalid.
     */
    public boolean verifyChecksum(long pseudoSum, boolean ipv6) {
        if (checksum() == 0) {
            return !ipv6;
        }
        return Checksum.finish(Checksum.add(pseudoSum, buf, off, length())) == 0;
    }

    /**
     * Writes the header at {@code off} and the checksum over header and the
     * {@code payloadLen} bytes that must already follow it.
     */
    public static void emit(ByteBuf buf, int off, int srcPort, int dstPort, int payloadLen, long pseudoSum) {
        int len = HEADER_LEN + payloadLen;
        buf.setShort(off + SRC_PORT, srcPort);
        buf.setShort(off + DST_PORT, dstPort);
        buf.setShort(off + LENGTH, len);
        buf.setShort(off + CHECKSUM, 0);
        int c = Checksum.finish(Checksum.add(pseudoSum, buf, off, len));
        // RFC 768: a computed zero is sent as all ones, zero meaning "no checksum".
        buf.setShort(off + CHECKSUM, c == 0 ? 0xffff : c);
    }
}
