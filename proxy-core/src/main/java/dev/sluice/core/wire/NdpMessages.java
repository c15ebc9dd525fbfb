package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * View of the NDP messages (RFC 4861): router solicitation and advertisement,
 * neighbour solicitation and advertisement, redirect. Offsets are relative to
 * the ICMPv6 header; {@link #wrap} checks the message is long enough for its
 * type's fixed part, so the getters of that type are safe. Options follow at
 * {@link #optionsOffset()} (read them with {@link NdpOptions}). The checksum
 * is {@link Icmpv6Message}'s business.
 */
public final class NdpMessages {
    public static final int RS_OPTIONS = 8;

    public static final int RA_CUR_HOP_LIMIT = 4;
    public static final int RA_FLAGS = 5;
    public static final int RA_ROUTER_LIFETIME = 6;
    public static final int RA_REACHABLE_TIME = 8;
    public static final int RA_RETRANS_TIMER = 12;
    public static final int RA_OPTIONS = 16;
    public static final int RA_FLAG_MANAGED = 0x80;
    public static final int RA_FLAG_OTHER = 0x40;

    public static final int NS_TARGET = 8;
    public static final int NS_OPTIONS = 24;

    public static final int NA_FLAGS = 4;
    public static final int NA_TARGET = 8;
    public static final int NA_OPTIONS = 24;
    public static final int NA_FLAG_ROUTER = 0x80;
    public static final int NA_FLAG_SOLICITED = 0x40;
    public static final int NA_FLAG_OVERRIDE = 0x20;

    public static final int REDIRECT_TARGET = 8;
    public static final int REDIRECT_DEST = 24;
    public static final int REDIRECT_OPTIONS = 40;

    private ByteBuf buf;
    private int off;
    private int len;

    /**
     * Points at an NDP message of {@code len} bytes (ICMPv6 header included).
     * False for a non-NDP type or a message shorter than its type's fixed part.
     */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < 4 || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        int fixed = fixedLength(buf.getUnsignedByte(off));
        if (fixed < 0 || len < fixed) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return true;
    }

    /** Length of the fixed part of an NDP message type, or -1 when the type is not NDP. */
    public static int fixedLength(int type) {
        switch (type) {
            case Icmpv6Message.TYPE_ROUTER_SOLICITATION:
                return RS_OPTIONS;
            case Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT:
                return RA_OPTIONS;
            case Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION:
                return NS_OPTIONS;
            case Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT:
                return NA_OPTIONS;
            case Icmpv6Message.TYPE_REDIRECT:
                return REDIRECT_OPTIONS;
            default:
                return -1;
        }
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    public int type() {
        return buf.getUnsignedByte(off);
    }

    public int code() {
        return buf.getUnsignedByte(off + 1);
    }

    public int optionsOffset() {
        return off + fixedLength(type());
    }

    public int optionsLength() {
        return len - fixedLength(type());
    }

    // RA
    public int curHopLimit() {
        return buf.getUnsignedByte(off + RA_CUR_HOP_LIMIT);
    }

    public int raFlags() {
        return buf.getUnsignedByte(off + RA_FLAGS);
    }

    public boolean managed() {
        return (raFlags() & RA_FLAG_MANAGED) != 0;
    }

    public boolean otherConfig() {
        return (raFlags() & RA_FLAG_OTHER) != 0;
    }

    public int routerLifetime() {
        return buf.getUnsignedShort(off + RA_ROUTER_LIFETIME);
    }

    public long reachableTime() {
        return buf.getUnsignedInt(off + RA_REACHABLE_TIME);
    }

    public long retransTimer() {
        return buf.getUnsignedInt(off + RA_RETRANS_TIMER);
    }

    // NS, NA, redirect: the target address
    public long targetHi() {
        return buf.getLong(off + NS_TARGET);
    }

    public long targetLo() {
        return buf.getLong(off + NS_TARGET + 8);
    }

    public void targetBytes(byte[] dst16) {
        buf.getBytes(off + NS_TARGET, dst16, 0, 16);
    }

    // NA
    public int naFlags() {
        return buf.getUnsignedByte(off + NA_FLAGS);
    }

    public boolean routerFlag() {
        return (naFlags() & NA_FLAG_ROUTER) != 0;
    }

    public boolean solicitedFlag() {
        return (naFlags() & NA_FLAG_SOLICITED) != 0;
    }

    public boolean overrideFlag() {
        return (naFlags() & NA_FLAG_OVERRIDE) != 0;
    }

    // redirect
    public long redirectDestHi() {
        return buf.getLong(off + REDIRECT_DEST);
    }

    public long redirectDestLo() {
        return buf.getLong(off + REDIRECT_DEST + 8);
    }

    // ---- writers: the fixed part, checksum zeroed; returns the offset of the options

    public static int emitRouterSolicitation(ByteBuf buf, int off) {
        Icmpv6Message.emitHeader(buf, off, Icmpv6Message.TYPE_ROUTER_SOLICITATION, 0);
        buf.setInt(off + 4, 0);
        return off + RS_OPTIONS;
    }

    public static int emitRouterAdvertisement(ByteBuf buf, int off, int curHopLimit, int flags, int routerLifetime,
                                              long reachableTime, long retransTimer) {
        Icmpv6Message.emitHeader(buf, off, Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT, 0);
        buf.setByte(off + RA_CUR_HOP_LIMIT, curHopLimit);
        buf.setByte(off + RA_FLAGS, flags);
        buf.setShort(off + RA_ROUTER_LIFETIME, routerLifetime);
        buf.setInt(off + RA_REACHABLE_TIME, (int) reachableTime);
        buf.setInt(off + RA_RETRANS_TIMER, (int) retransTimer);
        return off + RA_OPTIONS;
    }

    public static int emitNeighborSolicitation(ByteBuf buf, int off, long targetHi, long targetLo) {
        Icmpv6Message.emitHeader(buf, off, Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION, 0);
        buf.setInt(off + 4, 0);
        buf.setLong(off + NS_TARGET, targetHi);
        buf.setLong(off + NS_TARGET + 8, targetLo);
        return off + NS_OPTIONS;
    }

    public static int emitNeighborAdvertisement(ByteBuf buf, int off, int flags, long targetHi, long targetLo) {
        Icmpv6Message.emitHeader(buf, off, Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT, 0);
        buf.setInt(off + NA_FLAGS, flags << 24);
        buf.setLong(off + NA_TARGET, targetHi);
        buf.setLong(off + NA_TARGET + 8, targetLo);
        return off + NA_OPTIONS;
    }

    /**
     * An RS, RA, NS or NA as a value (fields a type does not have are zero):
     * tests and diagnostics, never the hot path. {@code flags} is the RA's
     * M/O byte or the NA's R/S/O byte.
     */
    public record Repr(int type, int curHopLimit, int flags, int routerLifetime, long reachableTime,
                       long retransTimer, long targetHi, long targetLo, List<NdpOptions.Option> options) {
        public Repr {
            options = List.copyOf(options);
        }

        /** The message the view points at; null for a redirect or malformed options. */
        public static Repr parse(NdpMessages m) {
            NdpOptions o = new NdpOptions();
            o.wrap(m.buf, m.optionsOffset(), m.optionsLength());
            List<NdpOptions.Option> opts = o.toList();
            if (opts == null) {
                return null;
            }
            switch (m.type()) {
                case Icmpv6Message.TYPE_ROUTER_SOLICITATION:
                    return new Repr(m.type(), 0, 0, 0, 0, 0, 0, 0, opts);
                case Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT:
                    return new Repr(m.type(), m.curHopLimit(), m.raFlags(), m.routerLifetime(), m.reachableTime(),
                            m.retransTimer(), 0, 0, opts);
                case Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION:
                    return new Repr(m.type(), 0, 0, 0, 0, 0, m.targetHi(), m.targetLo(), opts);
                case Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT:
                    return new Repr(m.type(), 0, m.naFlags(), 0, 0, 0, m.targetHi(), m.targetLo(), opts);
                default:
                    return null;
            }
        }

        /** Writes the message at {@code off} with a zero checksum; returns its length. */
        public int emit(ByteBuf buf, int off) {
            int p;
            switch (type) {
                case Icmpv6Message.TYPE_ROUTER_SOLICITATION:
                    p = emitRouterSolicitation(buf, off);
                    break;
                case Icmpv6Message.TYPE_ROUTER_ADVERTISEMENT:
                    p = emitRouterAdvertisement(buf, off, curHopLimit, flags, routerLifetime, reachableTime,
                            retransTimer);
                    break;
                case Icmpv6Message.TYPE_NEIGHBOR_SOLICITATION:
                    p = emitNeighborSolicitation(buf, off, targetHi, targetLo);
                    break;
                case Icmpv6Message.TYPE_NEIGHBOR_ADVERTISEMENT:
                    p = emitNeighborAdvertisement(buf, off, flags, targetHi, targetLo);
                    break;
                default:
                    throw new IllegalStateException("not an RS/RA/NS/NA: " + type);
            }
            for (NdpOptions.Option o : options) {
                p = o.emit(buf, p);
            }
            return p - off;
        }
    }
}
