package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * TCP header view (RFC 9293) with its options (RFC 9293 MSS, RFC 7323 window
 * scale and timestamps, RFC 2018 SACK-permitted).
 *
 * <p>{@link #wrap} validates the header and walks the options once: an option
 * whose length byte is below 2, runs past the header, or a known option with
 * the wrong fixed length makes the whole segment malformed ({@code false}),
 * so a caller never acts on half-parsed options. The options Sluice uses are
 * kept in fields by the walk (no allocation); others can be iterated with
 * {@link #firstOption()} / {@link #nextOption(int)}.
 *
 * <p>Writing: {@link #emitHeader} fills the fixed header, the {@code emit*}
 * option writers append options after it, and {@link #fillChecksum} finishes
 * once the payload is in place.
 */
public final class TcpSegment {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int SEQ = 4;
    public static final int ACK = 8;
    public static final int DATA_OFF = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT = 18;
    public static final int HEADER_LEN = 20;
    public static final int MAX_HEADER_LEN = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK_FLAG = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    public static final int OPT_EOL = 0;
    public static final int OPT_NOP = 1;
    public static final int OPT_MSS = 2;
    public static final int OPT_WSCALE = 3;
    public static final int OPT_SACK_PERM = 4;
    public static final int OPT_SACK = 5;
    public static final int OPT_TIMESTAMP = 8;

    /** RFC 7323 §2.3: shifts above 14 are treated as 14. */
    public static final int MAX_WSCALE = 14;

    /** Bytes {@link #emitMss} writes. */
    public static final int MSS_OPT_LEN = 4;
    /** Bytes {@link #emitWindowScale} writes (a NOP for alignment, then the 3-byte option). */
    public static final int WSCALE_OPT_LEN = 4;
    /** Bytes {@link #emitSackPermitted} writes (two NOPs, then the 2-byte option). */
    public static final int SACK_PERM_OPT_LEN = 4;
    /** Bytes {@link #emitTimestamps} writes (two NOPs, then the 10-byte option). */
    public static final int TIMESTAMP_OPT_LEN = 12;

    private ByteBuf buf;
    private int off;
    private int len;
    private int hdrLen;
    private int mss;
    private int wscale;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;

    /**
     * Points at a TCP header at {@code off} with {@code len} bytes of segment
     * (header and payload: the IP payload length). False when the header is
     * truncated, the data offset is below 5 or beyond {@code len}, or the
     * options are malformed.
     */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < HEADER_LEN || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        int hl = (buf.getUnsignedByte(off + DATA_OFF) >>> 4) * 4;
        if (hl < HEADER_LEN || hl > len) {
            return false;
        }
        if (!parseOptions(buf, off + HEADER_LEN, off + hl)) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.hdrLen = hl;
        return true;
    }

    private boolean parseOptions(ByteBuf b, int p, int end) {
        mss = -1;
        wscale = -1;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        while (p < end) {
            int kind = b.getUnsignedByte(p);
            if (kind == OPT_EOL) {
                return true;
            }
            if (kind == OPT_NOP) {
                p++;
                continue;
            }
            if (p + 1 >= end) {
                return false;
            }
            int ol = b.getUnsignedByte(p + 1);
            if (ol < 2 || p + ol > end) {
                return false;
            }
            switch (kind) {
                case OPT_MSS -> {
                    if (ol != 4) {
                        return false;
                    }
                    mss = b.getUnsignedShort(p + 2);
                }
                case OPT_WSCALE -> {
                    if (ol != 3) {
                        return false;
                    }
                    wscale = Math.min(b.getUnsignedByte(p + 2), MAX_WSCALE);
                }
                case OPT_SACK_PERM -> {
                    if (ol != 2) {
                        return false;
                    }
                    sackPermitted = true;
                }
                case OPT_TIMESTAMP -> {
                    if (ol != 10) {
                        return false;
                    }
                    timestamps = true;
                    tsVal = b.getInt(p + 2);
                    tsEcr = b.getInt(p + 6);
                }
                default -> {
                    // SACK blocks, MD5, fast open, experimental...: length-checked above, otherwise unused
                }
            }
            p += ol;
        }
        return true;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    /** Bytes of header and payload this view covers. */
    public int length() {
        return len;
    }

    public int srcPort() {
        return buf.getUnsignedShort(off + SRC_PORT);
    }

    public int dstPort() {
        return buf.getUnsignedShort(off + DST_PORT);
    }

    /** Sequence number (compare with modular arithmetic, e.g. {@code a - b < 0}). */
    public int seq() {
        return buf.getInt(off + SEQ);
    }

    public int ack() {
        return buf.getInt(off + ACK);
    }

    /** Header length in bytes (data offset * 4), options included. */
    public int headerLength() {
        return hdrLen;
    }

    /** The eight flag bits (CWR ... FIN); the reserved and AccECN NS bits are left out. */
    public int flags() {
        return buf.getUnsignedByte(off + FLAGS);
    }

    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    public boolean syn() {
        return (flags() & SYN) != 0;
    }

    public boolean rst() {
        return (flags() & RST) != 0;
    }

    public boolean hasAck() {
        return (flags() & ACK_FLAG) != 0;
    }

    /** The raw 16-bit window field (unscaled). */
    public int window() {
        return buf.getUnsignedShort(off + WINDOW);
    }

    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    public int urgentPointer() {
        return buf.getUnsignedShort(off + URGENT);
    }

    public int payloadOffset() {
        return off + hdrLen;
    }

    public int payloadLength() {
        return len - hdrLen;
    }

    /** Sequence space the segment occupies: payload plus one each for SYN and FIN. */
    public int sequenceLength() {
        int f = flags();
        return payloadLength() + (f & SYN) / SYN + (f & FIN);
    }

    /** True when header and payload sum to zero with the given IP pseudo-header sum. */
    public boolean verifyChecksum(long pseudoSum) {
        return Checksum.finish(Checksum.add(pseudoSum, buf, off, len)) == 0;
    }

    /** MSS option value, or -1 when absent. */
    public int mss() {
        return mss;
    }

    /** Window scale shift (clamped to 14), or -1 when absent. */
    public int windowScale() {
        return wscale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean hasTimestamps() {
        return timestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    // ---- option iteration (positions are absolute buffer indexes) ----

    /** Position of the first option, or -1 when there is none (EOL, padding and NOPs count as options here). */
    public int firstOption() {
        int p = off + HEADER_LEN;
        return p < off + hdrLen ? p : -1;
    }

    /** Position of the option after the one at {@code pos}, or -1 after the last one or at EOL. */
    public int nextOption(int pos) {
        int kind = buf.getUnsignedByte(pos);
        if (kind == OPT_EOL) {
            return -1;
        }
        int next = pos + optionLength(pos);
        return next < off + hdrLen ? next : -1;
    }

    public int optionKind(int pos) {
        return buf.getUnsignedByte(pos);
    }

    /** Total length of the option at {@code pos}, kind and length bytes included (1 for EOL and NOP). */
    public int optionLength(int pos) {
        int kind = buf.getUnsignedByte(pos);
        return kind == OPT_EOL || kind == OPT_NOP ? 1 : buf.getUnsignedByte(pos + 1);
    }

    // ---- writing ----

    /**
     * Writes the fixed 20-byte header at {@code off} with the checksum zeroed;
     * {@code headerLen} (20 + options, a multiple of 4) sets the data offset.
     */
    public static void emitHeader(ByteBuf buf, int off, int srcPort, int dstPort, int seq, int ack,
                                  int headerLen, int flags, int window) {
        buf.setShort(off + SRC_PORT, srcPort);
        buf.setShort(off + DST_PORT, dstPort);
        buf.setInt(off + SEQ, seq);
        buf.setInt(off + ACK, ack);
        buf.setByte(off + DATA_OFF, (headerLen / 4) << 4);
        buf.setByte(off + FLAGS, flags);
        buf.setShort(off + WINDOW, window);
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + URGENT, 0);
    }

    /** Writes an MSS option at {@code pos}; returns the position after it. */
    public static int emitMss(ByteBuf buf, int pos, int mss) {
        buf.setByte(pos, OPT_MSS);
        buf.setByte(pos + 1, 4);
        buf.setShort(pos + 2, mss);
        return pos + MSS_OPT_LEN;
    }

    /** Writes NOP + window scale at {@code pos} (keeps 4-byte alignment); returns the position after it. */
    public static int emitWindowScale(ByteBuf buf, int pos, int shift) {
        buf.setByte(pos, OPT_NOP);
        buf.setByte(pos + 1, OPT_WSCALE);
        buf.setByte(pos + 2, 3);
        buf.setByte(pos + 3, shift);
        return pos + WSCALE_OPT_LEN;
    }

    /** Writes NOP, NOP, SACK-permitted at {@code pos}; returns the position after it. */
    public static int emitSackPermitted(ByteBuf buf, int pos) {
        buf.setByte(pos, OPT_NOP);
        buf.setByte(pos + 1, OPT_NOP);
        buf.setByte(pos + 2, OPT_SACK_PERM);
        buf.setByte(pos + 3, 2);
        return pos + SACK_PERM_OPT_LEN;
    }

    /** Writes NOP, NOP, timestamps at {@code pos}; returns the position after it. */
    public static int emitTimestamps(ByteBuf buf, int pos, int tsVal, int tsEcr) {
        buf.setByte(pos, OPT_NOP);
        buf.setByte(pos + 1, OPT_NOP);
        buf.setByte(pos + 2, OPT_TIMESTAMP);
        buf.setByte(pos + 3, 10);
        buf.setInt(pos + 4, tsVal);
        buf.setInt(pos + 8, tsEcr);
        return pos + TIMESTAMP_OPT_LEN;
    }

    /**
     * Computes and stores the checksum of the {@code len} bytes of segment at
     * {@code off} (header, options and payload all in place) with the given
     * pseudo-header sum.
     */
    public static void fillChecksum(ByteBuf buf, int off, int len, long pseudoSum) {
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + CHECKSUM, Checksum.finish(Checksum.add(pseudoSum, buf, off, len)));
    }

    /**
     * A parsed segment header as a value: for tests, logs and building
     * segments off the hot path. -1 marks an absent MSS or window scale.
     */
    public record Repr(int srcPort, int dstPort, int seq, int ack, int flags, int window,
                       int mss, int windowScale, boolean sackPermitted,
                       boolean timestamps, int tsVal, int tsEcr, int payloadLength) {

        public static Repr parse(TcpSegment s) {
            return new Repr(s.srcPort(), s.dstPort(), s.seq(), s.ack(), s.flags(), s.window(),
                    s.mss(), s.windowScale(), s.sackPermitted(),
                    s.hasTimestamps(), s.tsVal(), s.tsEcr(), s.payloadLength());
        }

        /** Header length with the options this value carries, laid out as {@link #emit} writes them. */
        public int headerLength() {
            int sackTs = sackPermitted && timestamps ? TIMESTAMP_OPT_LEN
                    : (sackPermitted ? SACK_PERM_OPT_LEN : 0) + (timestamps ? TIMESTAMP_OPT_LEN : 0);
            return HEADER_LEN + (mss >= 0 ? MSS_OPT_LEN : 0) + sackTs + (windowScale >= 0 ? WSCALE_OPT_LEN : 0);
        }

        /**
         * Writes header and options at {@code off} in the order and alignment
         * Linux uses (MSS, SACK-permitted, timestamps, NOP, window scale), and
         * the checksum over them
         * and the {@code payloadLength} bytes that must already follow the
         * header. Returns the header length.
         */
        public int emit(ByteBuf buf, int off, long pseudoSum) {
            int hl = headerLength();
            emitHeader(buf, off, srcPort, dstPort, seq, ack, hl, flags, window);
            int p = off + HEADER_LEN;
            if (mss >= 0) {
                p = emitMss(buf, p, mss);
            }
            if (sackPermitted && timestamps) {
                // Linux's SYN layout: SACK-permitted takes the place of the two NOPs before the timestamps
                p = emitTimestamps(buf, p, tsVal, tsEcr);
                buf.setByte(p - TIMESTAMP_OPT_LEN, OPT_SACK_PERM);
                buf.setByte(p - TIMESTAMP_OPT_LEN + 1, 2);
            } else if (sackPermitted) {
                p = emitSackPermitted(buf, p);
            } else if (timestamps) {
                p = emitTimestamps(buf, p, tsVal, tsEcr);
            }
            if (windowScale >= 0) {
                emitWindowScale(buf, p, windowScale);
            }
            fillChecksum(buf, off, hl + payloadLength, pseudoSum);
            return hl;
        }
    }
}
