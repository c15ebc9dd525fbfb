package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * DHCPv4 message view (RFC 2131 over the BOOTP header of RFC 951) with the
 * options of RFC 2132 walked in place. Also home of the RFC 1035 domain-name
 * encoding that DHCP option 119 (RFC 3397), DHCPv6 option 24 and the RA
 * DNSSL option share ({@link #encodeDomainNames}, {@link #decodeDomainNames}).
 *
 * <p>Only the options field is read: option overload (52) into {@code sname}
 * and {@code file} is not followed, which no client we serve relies on.
 */
public final class DhcpMessage {
    public static final int OP = 0;
    public static final int HTYPE = 1;
    public static final int HLEN = 2;
    public static final int HOPS = 3;
    public static final int XID = 4;
    public static final int SECS = 8;
    public static final int FLAGS = 10;
    public static final int CIADDR = 12;
    public static final int YIADDR = 16;
    public static final int SIADDR = 20;
    public static final int GIADDR = 24;
    public static final int CHADDR = 28;
    public static final int SNAME = 44;
    public static final int FILE = 108;
    public static final int MAGIC = 236;
    public static final int OPTIONS = 240;
    /** The fixed header up to and including the magic cookie. */
    public static final int MIN_LEN = OPTIONS;
    /** RFC 1542: BOOTP messages are at least 300 bytes; replies are padded to it. */
    public static final int MIN_BOOTP_LEN = 300;

    public static final int MAGIC_COOKIE = 0x63825363;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;
    public static final int HTYPE_ETHERNET = 1;
    public static final int FLAG_BROADCAST = 0x8000;

    public static final int OPT_PAD = 0;
    public static final int OPT_SUBNET_MASK = 1;
    public static final int OPT_ROUTER = 3;
    public static final int OPT_DNS = 6;
    public static final int OPT_HOSTNAME = 12;
    public static final int OPT_DOMAIN_NAME = 15;
    public static final int OPT_MTU = 26;
    public static final int OPT_BROADCAST_ADDR = 28;
    public static final int OPT_REQUESTED_IP = 50;
    public static final int OPT_LEASE_TIME = 51;
    public static final int OPT_OVERLOAD = 52;
    public static final int OPT_MESSAGE_TYPE = 53;
    public static final int OPT_SERVER_ID = 54;
    public static final int OPT_PARAM_REQUEST = 55;
    public static final int OPT_MESSAGE = 56;
    public static final int OPT_MAX_MESSAGE_SIZE = 57;
    public static final int OPT_RENEWAL_TIME = 58;
    public static final int OPT_REBINDING_TIME = 59;
    public static final int OPT_CLIENT_ID = 61;
    public static final int OPT_DOMAIN_SEARCH = 119;
    /** RFC 4702 client FQDN. */
    public static final int OPT_CLIENT_FQDN = 81;
    public static final int OPT_END = 255;

    public static final int DHCPDISCOVER = 1;
    public static final int DHCPOFFER = 2;
    public static final int DHCPREQUEST = 3;
    public static final int DHCPDECLINE = 4;
    public static final int DHCPACK = 5;
    public static final int DHCPNAK = 6;
    public static final int DHCPRELEASE = 7;
    public static final int DHCPINFORM = 8;

    private ByteBuf buf;
    private int off;
    private int len;
    // option cursor
    private int next;
    private int code;
    private int dataOff;
    private int dataLen;
    private boolean malformed;

    /**
     * Points at {@code len} bytes of UDP payload. False when they cannot hold
     * the fixed header or the magic cookie is missing (plain BOOTP).
     */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < MIN_LEN || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        if (buf.getInt(off + MAGIC) != MAGIC_COOKIE) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        resetOptions();
        return true;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    public int op() {
        return buf.getUnsignedByte(off + OP);
    }

    public int hardwareType() {
        return buf.getUnsignedByte(off + HTYPE);
    }

    public int hardwareLength() {
        return buf.getUnsignedByte(off + HLEN);
    }

    public int hops() {
        return buf.getUnsignedByte(off + HOPS);
    }

    public int xid() {
        return buf.getInt(off + XID);
    }

    public int secs() {
        return buf.getUnsignedShort(off + SECS);
    }

    public int flags() {
        return buf.getUnsignedShort(off + FLAGS);
    }

    public boolean broadcastFlag() {
        return (flags() & FLAG_BROADCAST) != 0;
    }

    public int ciaddr() {
        return buf.getInt(off + CIADDR);
    }

    public int yiaddr() {
        return buf.getInt(off + YIADDR);
    }

    public int siaddr() {
        return buf.getInt(off + SIADDR);
    }

    public int giaddr() {
        return buf.getInt(off + GIADDR);
    }

    /** The client's hardware address, as a MAC (meaningful when htype is Ethernet and hlen 6). */
    public long chaddr() {
        return Mac.get(buf, off + CHADDR);
    }

    // ---- option cursor: resetOptions(), then while (nextOption()) { optionCode() ... }

    /** Puts the option cursor before the first option. */
    public void resetOptions() {
        next = off + OPTIONS;
        code = -1;
        malformed = false;
    }

    /**
     * Advances to the next option, skipping pads. False at the end option, at
     * the end of the data, or when an option's length runs past the data (then
     * {@link #optionsMalformed()} is true).
     */
    public boolean nextOption() {
        int end = off + len;
        while (next < end) {
            int c = buf.getUnsignedByte(next);
            if (c == OPT_PAD) {
                next++;
                continue;
            }
            if (c == OPT_END) {
                next = end;
                return false;
            }
            if (next + 2 > end) {
                malformed = true;
                next = end;
                return false;
            }
            int l = buf.getUnsignedByte(next + 1);
            if (next + 2 + l > end) {
                malformed = true;
                next = end;
                return false;
            }
            code = c;
            dataOff = next + 2;
            dataLen = l;
            next = dataOff + l;
            return true;
        }
        return false;
    }

    public int optionCode() {
        return code;
    }

    public int optionLength() {
        return dataLen;
    }

    public int optionDataOffset() {
        return dataOff;
    }

    public boolean optionsMalformed() {
        return malformed;
    }

    /**
     * Validates the whole options field: true when every option fits (an end
     * option is not required, some clients end with padding). Leaves the cursor reset.
     */
    public boolean optionsValid() {
        resetOptions();
        while (nextOption()) {
            // walk only
        }
        boolean ok = !malformed;
        resetOptions();
        return ok;
    }

    /**
     * Offset of the data of the first option with this code, or -1. Its length
     * is {@link #lengthAt(int)}. Does not move the option cursor.
     */
    public int findOption(int wanted) {
        int p = off + OPTIONS;
        int end = off + len;
        while (p < end) {
            int c = buf.getUnsignedByte(p);
            if (c == OPT_PAD) {
                p++;
                continue;
            }
            if (c == OPT_END || p + 2 > end) {
                return -1;
            }
            int l = buf.getUnsignedByte(p + 1);
            if (p + 2 + l > end) {
                return -1;
            }
            if (c == wanted) {
                return p + 2;
            }
            p += 2 + l;
        }
        return -1;
    }

    /** Length of the option whose data starts at {@code dataOffset} (as returned by {@link #findOption}). */
    public int lengthAt(int dataOffset) {
        return buf.getUnsignedByte(dataOffset - 1);
    }

    /** Option 53, or -1 when absent or not one byte long. */
    public int messageType() {
        int p = findOption(OPT_MESSAGE_TYPE);
        return p >= 0 && lengthAt(p) == 1 ? buf.getUnsignedByte(p) : -1;
    }

    /** A 4-byte option as an int (requested IP 50, server id 54, lease 51...), or {@code dflt}. */
    public int intOption(int wanted, int dflt) {
        int p = findOption(wanted);
        return p >= 0 && lengthAt(p) == 4 ? buf.getInt(p) : dflt;
    }

    /** A 2-byte option (max message size 57, MTU 26), or {@code dflt}. */
    public int shortOption(int wanted, int dflt) {
        int p = findOption(wanted);
        return p >= 0 && lengthAt(p) == 2 ? buf.getUnsignedShort(p) : dflt;
    }

    /** True when the parameter request list (55) asks for {@code wanted}. */
    public boolean requests(int wanted) {
        int p = findOption(OPT_PARAM_REQUEST);
        if (p < 0) {
            return false;
        }
        for (int i = 0, n = lengthAt(p); i < n; i++) {
            if (buf.getUnsignedByte(p + i) == wanted) {
                return true;
            }
        }
        return false;
    }

    // ---- emitting

    /**
     * Writes the fixed header at {@code off} (Ethernet hardware type, zeroed
     * sname and file, the magic cookie) and returns the offset of the options.
     */
    public static int emitHeader(ByteBuf buf, int off, int op, int xid, int secs, int flags,
                                 int ciaddr, int yiaddr, int siaddr, int giaddr, long chaddr) {
        buf.setByte(off + OP, op);
        buf.setByte(off + HTYPE, HTYPE_ETHERNET);
        buf.setByte(off + HLEN, 6);
        buf.setByte(off + HOPS, 0);
        buf.setInt(off + XID, xid);
        buf.setShort(off + SECS, secs);
        buf.setShort(off + FLAGS, flags);
        buf.setInt(off + CIADDR, ciaddr);
        buf.setInt(off + YIADDR, yiaddr);
        buf.setInt(off + SIADDR, siaddr);
        buf.setInt(off + GIADDR, giaddr);
        Mac.set(buf, off + CHADDR, chaddr);
        buf.setZero(off + CHADDR + 6, MAGIC - CHADDR - 6); // chaddr padding, sname, file
        buf.setInt(off + MAGIC, MAGIC_COOKIE);
        return off + OPTIONS;
    }

    /** Writes a one-byte option at {@code pos}; returns the offset after it. */
    public static int putByte(ByteBuf buf, int pos, int code, int value) {
        buf.setByte(pos, code);
        buf.setByte(pos + 1, 1);
        buf.setByte(pos + 2, value);
        return pos + 3;
    }

    public static int putShort(ByteBuf buf, int pos, int code, int value) {
        buf.setByte(pos, code);
        buf.setByte(pos + 1, 2);
        buf.setShort(pos + 2, value);
        return pos + 4;
    }

    public static int putInt(ByteBuf buf, int pos, int code, int value) {
        buf.setByte(pos, code);
        buf.setByte(pos + 1, 4);
        buf.setInt(pos + 2, value);
        return pos + 6;
    }

    /** Writes {@code data} as one option, split into several of the same code past 255 bytes (RFC 3396). */
    public static int putBytes(ByteBuf buf, int pos, int code, byte[] data) {
        int done = 0;
        do {
            int n = Math.min(255, data.length - done);
            buf.setByte(pos, code);
            buf.setByte(pos + 1, n);
            buf.setBytes(pos + 2, data, done, n);
            pos += 2 + n;
            done += n;
        } while (done < data.length);
        return pos;
    }

    /** Copies {@code n} (at most 255) bytes from {@code src} as one option (echoing a client's option). */
    public static int putBytes(ByteBuf buf, int pos, int code, ByteBuf src, int srcOff, int n) {
        buf.setByte(pos, code);
        buf.setByte(pos + 1, n);
        buf.setBytes(pos + 2, src, srcOff, n);
        return pos + 2 + n;
    }

    /** Bytes {@link #putBytes(ByteBuf, int, int, byte[])} writes for {@code n} bytes of data. */
    public static int encodedLength(int n) {
        return n + 2 * Math.max(1, (n + 254) / 255);
    }

    public static int putEnd(ByteBuf buf, int pos) {
        buf.setByte(pos, OPT_END);
        return pos + 1;
    }

    // ---- RFC 1035 domain names (no compression on output)

    /**
     * Encodes domain names as RFC 1035 label sequences, back to back, without
     * compression (DHCP option 119, DHCPv6 option 24, RA DNSSL). A trailing dot
     * is accepted; empty names are skipped.
     *
     * @throws IllegalArgumentException on an empty or over-long label, a name over 255 bytes, or non-ASCII
     */
    public static byte[] encodeDomainNames(List<String> names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String name : names) {
            String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            if (n.isEmpty()) {
                continue;
            }
            int start = out.size();
            for (String label : n.split("\\.", -1)) {
                byte[] b = label.getBytes(StandardCharsets.US_ASCII);
                if (b.length == 0 || b.length > 63 || !new String(b, StandardCharsets.US_ASCII).equals(label)) {
                    throw new IllegalArgumentException("bad domain name: " + name);
                }
                out.write(b.length);
                out.write(b, 0, b.length);
            }
            out.write(0);
            if (out.size() - start > 255) {
                throw new IllegalArgumentException("domain name too long: " + name);
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes back-to-back RFC 1035 names in {@code len} bytes at {@code off},
     * following compression pointers relative to {@code off} (RFC 3397 allows
     * them). Names come back without a trailing dot. Null when malformed.
     * Allocates: for tests and diagnostics, not the hot path.
     */
    public static List<String> decodeDomainNames(ByteBuf buf, int off, int len) {
        List<String> names = new ArrayList<>();
        int p = 0;
        while (p < len) {
            StringBuilder sb = new StringBuilder();
            int q = p;
            int resume = -1;
            int jumps = 0;
            while (true) {
                if (q >= len) {
                    return null;
                }
                int l = buf.getUnsignedByte(off + q);
                if (l == 0) {
                    q++;
                    break;
                }
                if ((l & 0xc0) == 0xc0) {
                    if (q + 1 >= len || ++jumps > 32) {
                        return null;
                    }
                    int target = ((l & 0x3f) << 8) | buf.getUnsignedByte(off + q + 1);
                    if (resume < 0) {
                        resume = q + 2;
                    }
                    q = target;
                    continue;
                }
                if ((l & 0xc0) != 0 || q + 1 + l > len) {
                    return null;
                }
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(buf.toString(off + q + 1, l, StandardCharsets.US_ASCII));
                if (sb.length() > 255) {
                    return null;
                }
                q += 1 + l;
            }
            p = resume >= 0 ? resume : q;
            names.add(sb.toString());
        }
        return names;
    }

    // ---- value form

    /** One option as a value. */
    public record Option(int code, byte[] data) {
    }

    /**
     * A whole message as a value, options in wire order (pads and the end
     * option dropped): tests and diagnostics, never the hot path.
     */
    public record Repr(int op, int hops, int xid, int secs, int flags, int ciaddr, int yiaddr, int siaddr,
                       int giaddr, long chaddr, List<Option> options) {
        public Repr {
            options = List.copyOf(options);
        }

        /** The message the view points at; null when its options are malformed. */
        public static Repr parse(DhcpMessage m) {
            List<Option> opts = new ArrayList<>();
            m.resetOptions();
            while (m.nextOption()) {
                byte[] d = new byte[m.optionLength()];
                m.buffer().getBytes(m.optionDataOffset(), d);
                opts.add(new Option(m.optionCode(), d));
            }
            if (m.optionsMalformed()) {
                return null;
            }
            m.resetOptions();
            return new Repr(m.op(), m.hops(), m.xid(), m.secs(), m.flags(), m.ciaddr(), m.yiaddr(), m.siaddr(),
                    m.giaddr(), m.chaddr(), opts);
        }

        /** All instances of an option concatenated (RFC 3396), or null when absent. */
        public byte[] option(int code) {
            ByteArrayOutputStream out = null;
            for (Option o : options) {
                if (o.code() == code) {
                    if (out == null) {
                        out = new ByteArrayOutputStream();
                    }
                    out.write(o.data(), 0, o.data().length);
                }
            }
            return out == null ? null : out.toByteArray();
        }

        public int messageType() {
            byte[] t = option(OPT_MESSAGE_TYPE);
            return t != null && t.length == 1 ? t[0] & 0xff : -1;
        }

        /** Writes header, options and the end option at {@code off}; returns the offset after the end option. */
        public int emit(ByteBuf buf, int off) {
            int p = emitHeader(buf, off, op, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr);
            buf.setByte(off + HOPS, hops);
            for (Option o : options) {
                buf.setByte(p, o.code());
                buf.setByte(p + 1, o.data().length);
                buf.setBytes(p + 2, o.data());
                p += 2 + o.data().length;
            }
            return putEnd(buf, p);
        }
    }
}
