package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * ARP view (RFC 826), for Ethernet/IPv4 only: the one combination a guest
 * link carries. {@link #wrap} accepts any 28 bytes; {@link #isEthernetIpv4()}
 * tells whether the hardware and protocol fields are the ones this view reads.
 */
public final class ArpPacket {
    public static final int HTYPE = 0;
    public static final int PTYPE = 2;
    public static final int HLEN = 4;
    public static final int PLEN = 5;
    public static final int OPER = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    /** Length of an Ethernet/IPv4 ARP packet; Ethernet pads it to 46 bytes of payload. */
    public static final int LEN = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private ByteBuf buf;
    private int off;

    /** False when fewer than {@link #LEN} bytes are available. */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < LEN || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        return true;
    }

    public int offset() {
        return off;
    }

    public int hardwareType() {
        return buf.getUnsignedShort(off + HTYPE);
    }

    public int protocolType() {
        return buf.getUnsignedShort(off + PTYPE);
    }

    public int hardwareLength() {
        return buf.getUnsignedByte(off + HLEN);
    }

    public int protocolLength() {
        return buf.getUnsignedByte(off + PLEN);
    }

    /** True when this is Ethernet (6-byte) over IPv4 (4-byte): every other getter assumes it. */
    public boolean isEthernetIpv4() {
        return hardwareType() == HTYPE_ETHERNET && protocolType() == EthernetFrame.TYPE_IPV4
                && hardwareLength() == 6 && protocolLength() == 4;
    }

    public int operation() {
        return buf.getUnsignedShort(off + OPER);
    }

    public long senderMac() {
        return Mac.get(buf, off + SHA);
    }

    public int senderIp() {
        return buf.getInt(off + SPA);
    }

    public long targetMac() {
        return Mac.get(buf, off + THA);
    }

    public int targetIp() {
        return buf.getInt(off + TPA);
    }

    /** Writes a 28-byte Ethernet/IPv4 ARP packet at {@code off}. */
    public static void emit(ByteBuf buf, int off, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        buf.setShort(off + HTYPE, HTYPE_ETHERNET);
        buf.setShort(off + PTYPE, EthernetFrame.TYPE_IPV4);
        buf.setByte(off + HLEN, 6);
        buf.setByte(off + PLEN, 4);
        buf.setShort(off + OPER, op);
        Mac.set(buf, off + SHA, senderMac);
        buf.setInt(off + SPA, senderIp);
        Mac.set(buf, off + THA, targetMac);
        buf.setInt(off + TPA, targetIp);
    }

    /**
     * Writes the reply to the request {@code req} points at: {@code ourMac}
     * claims the requested address, addressed back to the requester.
     */
    public static void emitReply(ByteBuf buf, int off, ArpPacket req, long ourMac) {
        emit(buf, off, OP_REPLY, ourMac, req.targetIp(), req.senderMac(), req.senderIp());
    }

    /** One Ethernet/IPv4 ARP packet as a value: tests and logs, never the hot path. */
    public record Repr(int operation, long senderMac, int senderIp, long targetMac, int targetIp) {
        /** The packet the view points at, or null when it is not Ethernet/IPv4. */
        public static Repr parse(ArpPacket p) {
            if (!p.isEthernetIpv4()) {
                return null;
            }
            return new Repr(p.operation(), p.senderMac(), p.senderIp(), p.targetMac(), p.targetIp());
        }

        public void emit(ByteBuf buf, int off) {
            ArpPacket.emit(buf, off, operation, senderMac, senderIp, targetMac, targetIp);
        }
    }
}
