package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * ICMPv6 header view (RFC 4443): type, code and the checksum over the IPv6
 * pseudo-header and the whole message. The body after the 4-byte header is
 * read by the specific views ({@link NdpMessages}) or by the flow layer (echo).
 */
public final class Icmpv6Message {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    /** Offset of the body (echo identifier, NDP reserved/flags word, ...). */
    public static final int BODY = 4;
    public static final int HEADER_LEN = 4;

    public static final int TYPE_DEST_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    public static final int TYPE_ECHO_REQUEST = 128;
    public static final int TYPE_ECHO_REPLY = 129;
    public static final int TYPE_MLD_QUERY = 130;
    public static final int TYPE_MLD_REPORT = 131;
    public static final int TYPE_MLD_DONE = 132;
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;
    public static final int TYPE_MLD2_REPORT = 143;

    private ByteBuf buf;
    private int off;
    private int len;

    /** Points at {@code len} bytes of ICMPv6 message; false when they cannot hold the 4-byte header. */
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

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    /** Length of the whole message (header and body). */
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

    /** True for the NDP types 133 (RS) to 137 (redirect). */
    public boolean isNdp() {
        int t = type();
        return t >= TYPE_ROUTER_SOLICITATION && t <= TYPE_REDIRECT;
    }

    /** True for MLD queries and reports (v1 and v2): link-local chatter nobody answers here. */
    public boolean isMld() {
        int t = type();
        return (t >= TYPE_MLD_QUERY && t <= TYPE_MLD_DONE) || t == TYPE_MLD2_REPORT;
    }

    /** Verifies the checksum given the IPv6 pseudo-header sum (see {@link Ipv6Packet#pseudoHeaderSum()}). */
    public boolean verifyChecksum(long pseudoSum) {
        return Checksum.finish(Checksum.add(pseudoSum, buf, off, len)) == 0;
    }

    /** Writes type and code at {@code off} and zeroes the checksum field. */
    public static void emitHeader(ByteBuf buf, int off, int type, int code) {
        buf.setByte(off + TYPE, type);
        buf.setByte(off + CODE, code);
        buf.setShort(off + CHECKSUM, 0);
    }

    /**
     * Fills the checksum of the {@code len}-byte message at {@code off}, whose
     * IPv6 header (addresses already written) is at {@code ipOff}. The checksum
     * field must be zero.
     */
    public static void fillChecksum(ByteBuf buf, int ipOff, int off, int len) {
        long sum = Checksum.pseudoV6(buf, ipOff, Ipv6Packet.NH_ICMPV6, len);
        buf.setShort(off + CHECKSUM, Checksum.finish(Checksum.add(sum, buf, off, len)));
    }

    /** Type and code as a value, with the checksum's validity: tests and logs. */
    public record Repr(int type, int code, boolean checksumValid) {
        public static Repr parse(Icmpv6Message m, long pseudoSum) {
            return new Repr(m.type(), m.code(), m.verifyChecksum(pseudoSum));
        }
    }
}
