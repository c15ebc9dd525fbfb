package dev.sluice.core.link;

import io.netty.buffer.ByteBuf;

/**
 * The 10-byte virtio_net_hdr a tap opened with IFF_VNET_HDR puts before every
 * frame (little-endian, the tap's default on x86): flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset. Reads it for frames from the guest's
 * kernel and writes it, in place, for frames to it. No state, no allocation.
 */
final class VnetHeader {
    static final int LEN = 10;

    static final int F_NEEDS_CSUM = 1;
    static final int F_DATA_VALID = 2;

    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_UDP_L4 = 5;
    static final int GSO_ECN = 0x80;

    private static final int ETH_LEN = 14;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;

    private VnetHeader() {
    }

    static int flags(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    static int gsoType(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 1);
    }

    /** A zero header: the frame is complete, checksums and all. */
    static void writePlain(ByteBuf hdr, int off) {
        hdr.setLongLE(off, 0);
        hdr.setShortLE(off + 8, 0);
    }

    /**
     * Writes at {@code off} of {@code hdr} the header that asks the guest's
     * kernel to complete the L4 checksum of {@code frame} (its readable bytes:
     * Ethernet, IPv4 or IPv6 with extension headers, then TCP or UDP) and, for
     * TCP with {@code gsoSize > 0} and more payload than that, to cut it into
     * segments of {@code gsoSize} payload bytes.
     *
     * @return whether the frame was a TCP or UDP frame it could describe;
     *         false leaves {@code hdr} unspecified
     */
    static boolean writeOffloaded(ByteBuf hdr, int off, ByteBuf frame, int gsoSize) {
        int ri = frame.readerIndex();
        int len = frame.readableBytes();
        if (len < ETH_LEN + 20) {
            return false;
        }
        int etherType = frame.getUnsignedShort(ri + 12);
        int l3 = ri + ETH_LEN;
        int proto;
        int l4;
        boolean v6;
        if (etherType == 0x0800) {
            int ihl = (frame.getUnsignedByte(l3) & 0x0f) * 4;
            if (ihl < 20) {
                return false;
            }
            proto = frame.getUnsignedByte(l3 + 9);
            l4 = l3 + ihl;
            v6 = false;
        } else if (etherType == 0x86dd) {
            proto = frame.getUnsignedByte(l3 + 6);
            l4 = l3 + 40;
            // Hop-by-hop, routing and destination options: (length + 1) * 8 bytes each; bounded walk.
            for (int i = 0; i < 4 && (proto == 0 || proto == 43 || proto == 60); i++) {
                if (l4 + 8 > ri + len) {
                    return false;
                }
                proto = frame.getUnsignedByte(l4);
                l4 += (frame.getUnsignedByte(l4 + 1) + 1) * 8;
            }
            v6 = true;
        } else {
            return false;
        }
        int csumOffset;
        int l4Min;
        if (proto == PROTO_TCP) {
            csumOffset = 16;
            l4Min = 20;
        } else if (proto == PROTO_UDP) {
            csumOffset = 6;
            l4Min = 8;
        } else {
            return false;
        }
        if (l4 + l4Min > ri + len) {
            return false;
        }
        int csumStart = l4 - ri;
        int gsoType = GSO_NONE;
        int hdrLen = 0;
        int segSize = 0;
        if (proto == PROTO_TCP && gsoSize > 0) {
            int headers = csumStart + ((frame.getUnsignedByte(l4 + 12) >> 4) & 0x0f) * 4;
            if (len - headers > gsoSize) {
                gsoType = v6 ? GSO_TCPV6 : GSO_TCPV4;
                hdrLen = headers;
                segSize = gsoSize;
            }
        }
        hdr.setByte(off, F_NEEDS_CSUM);
        hdr.setByte(off + 1, gsoType);
        hdr.setShortLE(off + 2, hdrLen);
        hdr.setShortLE(off + 4, segSize);
        hdr.setShortLE(off + 6, csumStart);
        hdr.setShortLE(off + 8, csumOffset);
        return true;
    }
}
