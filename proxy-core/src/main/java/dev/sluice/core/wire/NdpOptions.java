package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Cursor over the options of an NDP message (RFC 4861 section 4.6), read in
 * place: source/target link-layer address, prefix information, MTU, and
 * RDNSS/DNSSL (RFC 8106); other types (the nonce of RFC 7527, ...) are walked
 * over. Plus static writers for the options Sluice sends.
 *
 * <p>Usage: {@code wrap(buf, off, len)}, then {@code while (next()) {...}};
 * {@link #malformed()} tells whether the walk stopped on a bad length (zero,
 * or past the data): RFC 4861 says to drop the whole message then.
 */
public final class NdpOptions {
    public static final int TYPE_SOURCE_LL_ADDR = 1;
    public static final int TYPE_TARGET_LL_ADDR = 2;
    public static final int TYPE_PREFIX_INFO = 3;
    public static final int TYPE_REDIRECTED_HEADER = 4;
    public static final int TYPE_MTU = 5;
    public static final int TYPE_NONCE = 14;
    public static final int TYPE_RDNSS = 25;
    public static final int TYPE_DNSSL = 31;

    public static final int PREFIX_FLAG_ON_LINK = 0x80;
    public static final int PREFIX_FLAG_AUTONOMOUS = 0x40;

    /** Lengths of the fixed-size options this class writes. */
    public static final int LL_ADDR_LEN = 8;
    public static final int PREFIX_INFO_LEN = 32;
    public static final int MTU_LEN = 8;

    private ByteBuf buf;
    private int start;
    private int end;
    private int next;
    private int cur;
    private int curLen;
    private boolean malformed;

    /** Points the cursor before the first of the options in {@code len} bytes at {@code off}. */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < 0 || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        this.buf = buf;
        this.start = off;
        this.end = off + len;
        reset();
        return true;
    }

    public void reset() {
        next = start;
        cur = -1;
        curLen = 0;
        malformed = false;
    }

    /** Advances to the next option; false at the end or on a bad length (see {@link #malformed()}). */
    public boolean next() {
        if (next >= end) {
            return false;
        }
        if (next + 2 > end) {
            malformed = true;
            next = end;
            return false;
        }
        int l = buf.getUnsignedByte(next + 1) * 8;
        if (l == 0 || next + l > end) {
            malformed = true;
            next = end;
            return false;
        }
        cur = next;
        curLen = l;
        next += l;
        return true;
    }

    public boolean malformed() {
        return malformed;
    }

    /** Walks every option: true when all lengths are sane. Leaves the cursor reset. */
    public boolean validate() {
        reset();
        while (next()) {
            // walk only
        }
        boolean ok = !malformed;
        reset();
        return ok;
    }

    /** Offset of the first option of this type (its type byte), or -1; the cursor is reset afterwards. */
    public int find(int type) {
        reset();
        int found = -1;
        while (next()) {
            if (type() == type) {
                found = cur;
                break;
            }
        }
        reset();
        return found;
    }

    /** Moves the cursor onto the option at {@code optOff} (as returned by {@link #find}). */
    public void moveTo(int optOff) {
        cur = optOff;
        curLen = buf.getUnsignedByte(optOff + 1) * 8;
        next = optOff + curLen;
    }

    public int type() {
        return buf.getUnsignedByte(cur);
    }

    /** Length of the current option in bytes, type and length fields included. */
    public int length() {
        return curLen;
    }

    /** Offset of the current option (its type byte). */
    public int offset() {
        return cur;
    }

    /** The MAC of a source/target link-layer address option of Ethernet size, else -1. */
    public long linkLayerAddress() {
        return curLen == 8 ? Mac.get(buf, cur + 2) : -1;
    }

    /** True when the current option is a well-formed prefix information option (the getters below are safe). */
    public boolean isPrefixInfo() {
        return type() == TYPE_PREFIX_INFO && curLen == PREFIX_INFO_LEN;
    }

    public int prefixLength() {
        return buf.getUnsignedByte(cur + 2);
    }

    public int prefixFlags() {
        return buf.getUnsignedByte(cur + 3);
    }

    public long validLifetime() {
        return buf.getUnsignedInt(cur + 4);
    }

    public long preferredLifetime() {
        return buf.getUnsignedInt(cur + 8);
    }

    public long prefixHi() {
        return buf.getLong(cur + 16);
    }

    public long prefixLo() {
        return buf.getLong(cur + 24);
    }

    /** The MTU of an MTU option. */
    public long mtu() {
        return buf.getUnsignedInt(cur + 4);
    }

    /** Lifetime of an RDNSS or DNSSL option. */
    public long dnsLifetime() {
        return buf.getUnsignedInt(cur + 4);
    }

    /** Number of addresses in an RDNSS option. */
    public int rdnssCount() {
        return curLen >= 24 ? (curLen - 8) / 16 : 0;
    }

    public long rdnssHi(int i) {
        return buf.getLong(cur + 8 + 16 * i);
    }

    public long rdnssLo(int i) {
        return buf.getLong(cur + 16 + 16 * i);
    }

    /** The domains of a DNSSL option (allocates: tests and diagnostics); null when malformed. */
    public List<String> dnsslNames() {
        int p = cur + 8;
        int e = cur + curLen;
        // trailing zero padding would decode as empty names: cut it off after the last name's terminator
        while (e > p && buf.getByte(e - 1) == 0 && e - 2 >= p && buf.getByte(e - 2) == 0) {
            e--;
        }
        List<String> names = DhcpMessage.decodeDomainNames(buf, p, e - p);
        if (names == null) {
            return null;
        }
        List<String> out = new ArrayList<>(names.size());
        for (String n : names) {
            if (!n.isEmpty()) {
                out.add(n);
            }
        }
        return out;
    }

    // ---- writers: each returns the offset after what it wrote

    public static int emitLinkLayerAddress(ByteBuf buf, int off, int type, long mac) {
        buf.setByte(off, type);
        buf.setByte(off + 1, 1);
        Mac.set(buf, off + 2, mac);
        return off + LL_ADDR_LEN;
    }

    public static int emitPrefixInfo(ByteBuf buf, int off, int prefixLen, int flags, long valid, long preferred,
                                     long prefixHi, long prefixLo) {
        buf.setByte(off, TYPE_PREFIX_INFO);
        buf.setByte(off + 1, 4);
        buf.setByte(off + 2, prefixLen);
        buf.setByte(off + 3, flags);
        buf.setInt(off + 4, (int) valid);
        buf.setInt(off + 8, (int) preferred);
        buf.setInt(off + 12, 0);
        buf.setLong(off + 16, prefixHi);
        buf.setLong(off + 24, prefixLo);
        return off + PREFIX_INFO_LEN;
    }

    public static int emitMtu(ByteBuf buf, int off, long mtu) {
        buf.setByte(off, TYPE_MTU);
        buf.setByte(off + 1, 1);
        buf.setShort(off + 2, 0);
        buf.setInt(off + 4, (int) mtu);
        return off + MTU_LEN;
    }

    /** RDNSS with {@code addrs} holding 16 bytes per server. */
    public static int emitRdnss(ByteBuf buf, int off, long lifetime, byte[] addrs) {
        int len = rdnssLength(addrs.length / 16);
        buf.setByte(off, TYPE_RDNSS);
        buf.setByte(off + 1, len / 8);
        buf.setShort(off + 2, 0);
        buf.setInt(off + 4, (int) lifetime);
        buf.setBytes(off + 8, addrs, 0, addrs.length / 16 * 16);
        return off + len;
    }

    public static int rdnssLength(int servers) {
        return 8 + 16 * servers;
    }

    /** DNSSL with names already in RFC 1035 form ({@link DhcpMessage#encodeDomainNames}), zero-padded to 8 bytes. */
    public static int emitDnssl(ByteBuf buf, int off, long lifetime, byte[] names) {
        int len = dnsslLength(names.length);
        buf.setByte(off, TYPE_DNSSL);
        buf.setByte(off + 1, len / 8);
        buf.setShort(off + 2, 0);
        buf.setInt(off + 4, (int) lifetime);
        buf.setBytes(off + 8, names);
        buf.setZero(off + 8 + names.length, len - 8 - names.length);
        return off + len;
    }

    public static int dnsslLength(int namesLen) {
        return 8 + (namesLen + 7) / 8 * 8;
    }

    /** One option as a value: its type and the bytes after the type and length fields. */
    public record Option(int type, byte[] data) {
        /** Writes it at {@code off} (data must make the option a multiple of 8); returns the offset after it. */
        public int emit(ByteBuf buf, int off) {
            buf.setByte(off, type);
            buf.setByte(off + 1, (data.length + 2) / 8);
            buf.setBytes(off + 2, data);
            return off + 2 + data.length;
        }
    }

    /** The options in wire order, or null when malformed (allocates: tests and diagnostics). */
    public List<Option> toList() {
        reset();
        List<Option> out = new ArrayList<>();
        while (next()) {
            byte[] d = new byte[curLen - 2];
            buf.getBytes(cur + 2, d);
            out.add(new Option(type(), d));
        }
        boolean bad = malformed;
        reset();
        return bad ? null : out;
    }
}
