package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * ICMPv4 message view (RFC 792): the 8-byte header (type, code, checksum and
 * a 4-byte rest whose meaning depends on the type: echo identifier and
 * sequence, or unused and next-hop MTU for errors) and what follows it (echo
 * data, or the quoted original datagram for errors). The length of the message
 * is the IP payload length given to {@link #wrap}.
 */
public final class Icmpv4Message {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int REST = 4;
    public static final int ECHO_ID = 4;
    public static final int ECHO_SEQ = 6;
    public static final int NEXT_HOP_MTU = 6;
    public static final int HEADER_LEN = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_REDIRECT = 5;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;

    /** Destination-unreachable codes (RFC 792, RFC 1812 for 13). */
    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAG_NEEDED = 4;
    public static final int CODE_ADMIN_PROHIBITED = 13;

    /**
     * RFC 1812 4.3.2.3: an ICMP error quotes as much of the original datagram as
     * fits in 576 bytes of IP packet; what remains for the quote after the IPv4
     * and ICMP headers.
     */
    public static final int MAX_QUOTE = 576 - Ipv4Packet.MIN_HEADER_LEN - HEADER_LEN;

    private ByteBuf buf;
    private int off;
    private int len;

    /** False when {@code len} cannot hold the 8-byte header. */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < HEADER_LEN || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return true;
    }

    public int offset() {
        return off;
    }

    /** Header and data. */
    public int length() {
        return len;
    }

    public int type() {
        return buf.getUnsignedByte(off + TYPE);
    }

    public int code() {
        return buf.getUnsignedByte(off + CODE);
    }

    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    /** Echo request/reply identifier. */
    public int echoId() {
        return buf.getUnsignedShort(off + ECHO_ID);
    }

    public int echoSeq() {
        return buf.getUnsignedShort(off + ECHO_SEQ);
    }

    /** Next-hop MTU of a "fragmentation needed" error (RFC 1191). */
    public int nextHopMtu() {
        return buf.getUnsignedShort(off + NEXT_HOP_MTU);
    }

    /** The 4-byte rest of the header as one value. */
    public int rest() {
        return buf.getInt(off + REST);
    }

    /** Offset of the echo data, or of the quoted datagram of an error. */
    public int payloadOffset() {
        return off + HEADER_LEN;
    }

    public int payloadLength() {
        return len - HEADER_LEN;
    }

    public boolean isEcho() {
        int t = type();
        return t == TYPE_ECHO_REQUEST || t == TYPE_ECHO_REPLY;
    }

    /** Types that quote an offending datagram (and must never be answered with another error). */
    public boolean isError() {
        int t = type();
        return t == TYPE_DEST_UNREACHABLE || t == TYPE_REDIRECT || t == TYPE_TIME_EXCEEDED
                || t == TYPE_PARAMETER_PROBLEM || t == 4 /* source quench, deprecated */;
    }

    /** The ICMPv4 checksum covers the whole message (no pseudo-header). */
    public boolean verifyChecksum() {
        return Checksum.verify(buf, off, len);
    }

    public void setType(int type) {
        buf.setByte(off + TYPE, type);
    }

    public void setEchoId(int id) {
        buf.setShort(off + ECHO_ID, id);
    }

    /** Recomputes the checksum over the message after fields were changed in place. */
    public void updateChecksum() {
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + CHECKSUM, Checksum.compute(buf, off, len));
    }

    /**
     * Writes an echo header at {@code off} whose {@code dataLen} bytes of data
     * already follow it, checksum included.
     */
    public static void emitEcho(ByteBuf buf, int off, int type, int id, int seq, int dataLen) {
        buf.setByte(off + TYPE, type);
        buf.setByte(off + CODE, 0);
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + ECHO_ID, id);
        buf.setShort(off + ECHO_SEQ, seq);
        buf.setShort(off + CHECKSUM, Checksum.compute(buf, off, HEADER_LEN + dataLen));
    }

    /**
     * Writes an error header at {@code off} (unused rest of zero, or the
     * next-hop MTU for {@link #CODE_FRAG_NEEDED}) whose {@code quotedLen} bytes of
     * quoted datagram already follow it, checksum included.
     */
    public static void emitError(ByteBuf buf, int off, int type, int code, int nextHopMtu, int quotedLen) {
        buf.setByte(off + TYPE, type);
        buf.setByte(off + CODE, code);
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + REST, 0);
        buf.setShort(off + NEXT_HOP_MTU, nextHopMtu);
        buf.setShort(off + CHECKSUM, Checksum.compute(buf, off, HEADER_LEN + quotedLen));
    }

    /** How much of an offending datagram of {@code originalLen} bytes an error quotes. */
    public static int quoteLength(int originalLen) {
        return Math.min(originalLen, MAX_QUOTE);
    }
}
