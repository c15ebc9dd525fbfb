package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * DHCPv6 client/server message view (RFC 8415): message type, 24-bit
 * transaction id, and a cursor over the options, which also walks the options
 * nested in IA_NA and IAADDR ({@link #wrapOptions}). Relay messages are not
 * handled: a guest link has no relay.
 */
public final class Dhcpv6Message {
    public static final int MSG_TYPE = 0;
    public static final int XID = 1;
    public static final int OPTIONS = 4;
    public static final int HEADER_LEN = 4;

    public static final int CLIENT_PORT = 546;
    public static final int SERVER_PORT = 547;

    public static final int SOLICIT = 1;
    public static final int ADVERTISE = 2;
    public static final int REQUEST = 3;
    public static final int CONFIRM = 4;
    public static final int RENEW = 5;
    public static final int REBIND = 6;
    public static final int REPLY = 7;
    public static final int RELEASE = 8;
    public static final int DECLINE = 9;
    public static final int RECONFIGURE = 10;
    public static final int INFORMATION_REQUEST = 11;

    public static final int OPT_CLIENTID = 1;
    public static final int OPT_SERVERID = 2;
    public static final int OPT_IA_NA = 3;
    public static final int OPT_IA_TA = 4;
    public static final int OPT_IAADDR = 5;
    public static final int OPT_ORO = 6;
    public static final int OPT_PREFERENCE = 7;
    public static final int OPT_ELAPSED_TIME = 8;
    public static final int OPT_STATUS_CODE = 13;
    public static final int OPT_RAPID_COMMIT = 14;
    public static final int OPT_DNS_SERVERS = 23;
    public static final int OPT_DOMAIN_LIST = 24;
    /** RFC 4704 client FQDN. */
    public static final int OPT_CLIENT_FQDN = 39;
    public static final int OPT_IA_PD = 25;

    /** Fixed part of IA_NA data before its own options: IAID, T1, T2. */
    public static final int IA_NA_FIXED = 12;
    /** Fixed part of IAADDR data before its own options: address, preferred and valid lifetimes. */
    public static final int IAADDR_FIXED = 24;

    public static final int STATUS_SUCCESS = 0;
    public static final int STATUS_UNSPEC_FAIL = 1;
    public static final int STATUS_NO_ADDRS_AVAIL = 2;
    public static final int STATUS_NO_BINDING = 3;
    public static final int STATUS_NOT_ON_LINK = 4;
    public static final int STATUS_USE_MULTICAST = 5;

    public static final int DUID_LLT = 1;
    public static final int DUID_LL = 3;
    public static final int HW_TYPE_ETHERNET = 1;
    /** A DUID-LL for an Ethernet address: type, hardware type, MAC. */
    public static final int DUID_LL_ETHERNET_LEN = 10;

    private ByteBuf buf;
    private int off;
    private int len;
    // option cursor over [start, end)
    private int start;
    private int end;
    private int next;
    private int code;
    private int dataOff;
    private int dataLen;
    private boolean malformed;

    /** Points at {@code len} bytes of UDP payload; false when they cannot hold the 4-byte header. */
    public boolean wrap(ByteBuf buf, int off, int len) {
        this.buf = null;
        if (len < HEADER_LEN || off < 0 || buf.capacity() < off + len) {
            return false;
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        wrapOptions(off + OPTIONS, len - OPTIONS);
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

    public int msgType() {
        return buf.getUnsignedByte(off + MSG_TYPE);
    }

    public int transactionId() {
        return buf.getMedium(off + XID) & 0xffffff;
    }

    // ---- option cursor

    /**
     * Points the option cursor at options in {@code n} bytes at {@code optOff}:
     * the message's own (done by {@link #wrap}), or those nested in an IA_NA
     * ({@code data + 12}) or IAADDR ({@code data + 24}). Bounds must lie in the message.
     */
    public void wrapOptions(int optOff, int n) {
        start = optOff;
        end = optOff + Math.max(0, n);
        resetOptions();
    }

    /** Back to the message's top-level options. */
    public void topLevelOptions() {
        wrapOptions(off + OPTIONS, len - OPTIONS);
    }

    public void resetOptions() {
        next = start;
        code = -1;
        malformed = false;
    }

    /** Advances to the next option; false at the end or when a length runs past it ({@link #optionsMalformed()}). */
    public boolean nextOption() {
        if (next >= end) {
            return false;
        }
        if (next + 4 > end) {
            malformed = true;
            next = end;
            return false;
        }
        int l = buf.getUnsignedShort(next + 2);
        if (next + 4 + l > end) {
            malformed = true;
            next = end;
            return false;
        }
        code = buf.getUnsignedShort(next);
        dataOff = next + 4;
        dataLen = l;
        next = dataOff + l;
        return true;
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

    /** Walks the current option range: true when every length fits. Leaves the cursor reset. */
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
     * Offset of the data of the first option with this code in the current
     * range, or -1; its length is {@link #lengthAt(int)}. Resets the cursor.
     */
    public int findOption(int wanted) {
        resetOptions();
        int found = -1;
        while (nextOption()) {
            if (code == wanted) {
                found = dataOff;
                break;
            }
        }
        resetOptions();
        return found;
    }

    /** Length of the option whose data starts at {@code dataOffset}. */
    public int lengthAt(int dataOffset) {
        return buf.getUnsignedShort(dataOffset - 2);
    }

    // ---- writers: each returns the offset after what it wrote

    public static int emitHeader(ByteBuf buf, int off, int msgType, int xid) {
        buf.setByte(off + MSG_TYPE, msgType);
        buf.setMedium(off + XID, xid);
        return off + OPTIONS;
    }

    /** Writes an option header (code, length); the caller writes {@code n} bytes of data after it. */
    public static int putOptionHeader(ByteBuf buf, int pos, int code, int n) {
        buf.setShort(pos, code);
        buf.setShort(pos + 2, n);
        return pos + 4;
    }

    public static int putBytes(ByteBuf buf, int pos, int code, byte[] data) {
        pos = putOptionHeader(buf, pos, code, data.length);
        buf.setBytes(pos, data);
        return pos + data.length;
    }

    /** Copies an option's data from {@code src} (echoing the client id). */
    public static int putBytes(ByteBuf buf, int pos, int code, ByteBuf src, int srcOff, int n) {
        pos = putOptionHeader(buf, pos, code, n);
        buf.setBytes(pos, src, srcOff, n);
        return pos + n;
    }

    public static int putEmpty(ByteBuf buf, int pos, int code) {
        return putOptionHeader(buf, pos, code, 0);
    }

    public static int putShort(ByteBuf buf, int pos, int code, int value) {
        pos = putOptionHeader(buf, pos, code, 2);
        buf.setShort(pos, value);
        return pos + 2;
    }

    /** A DUID-LL of an Ethernet address as option {@code code} (SERVERID, CLIENTID). */
    public static int putDuidLl(ByteBuf buf, int pos, int code, long mac) {
        pos = putOptionHeader(buf, pos, code, DUID_LL_ETHERNET_LEN);
        buf.setShort(pos, DUID_LL);
        buf.setShort(pos + 2, HW_TYPE_ETHERNET);
        Mac.set(buf, pos + 4, mac);
        return pos + DUID_LL_ETHERNET_LEN;
    }

    /** STATUS_CODE with an ASCII message (RFC 8415 wants UTF-8; ASCII is a subset). */
    public static int putStatus(ByteBuf buf, int pos, int status, byte[] message) {
        pos = putOptionHeader(buf, pos, OPT_STATUS_CODE, 2 + message.length);
        buf.setShort(pos, status);
        buf.setBytes(pos + 2, message);
        return pos + 2 + message.length;
    }

    public static int statusLength(byte[] message) {
        return 4 + 2 + message.length;
    }

    /**
     * An IA_NA holding one IAADDR (and nothing else): what a server hands out.
     * Lifetimes and T1/T2 are unsigned 32-bit values (0xffffffff is infinity).
     */
    public static int putIaNaWithAddress(ByteBuf buf, int pos, int iaid, long t1, long t2,
                                         long addrHi, long addrLo, long preferred, long valid) {
        pos = putOptionHeader(buf, pos, OPT_IA_NA, IA_NA_FIXED + 4 + IAADDR_FIXED);
        buf.setInt(pos, iaid);
        buf.setInt(pos + 4, (int) t1);
        buf.setInt(pos + 8, (int) t2);
        pos = putOptionHeader(buf, pos + IA_NA_FIXED, OPT_IAADDR, IAADDR_FIXED);
        buf.setLong(pos, addrHi);
        buf.setLong(pos + 8, addrLo);
        buf.setInt(pos + 16, (int) preferred);
        buf.setInt(pos + 20, (int) valid);
        return pos + IAADDR_FIXED;
    }

    public static final int IA_NA_WITH_ADDRESS_LEN = 4 + IA_NA_FIXED + 4 + IAADDR_FIXED;

    /** An IA_NA carrying only a status (NoAddrsAvail, NoBinding...). */
    public static int putIaNaWithStatus(ByteBuf buf, int pos, int iaid, int status, byte[] message) {
        pos = putOptionHeader(buf, pos, OPT_IA_NA, IA_NA_FIXED + statusLength(message));
        buf.setInt(pos, iaid);
        buf.setInt(pos + 4, 0);
        buf.setInt(pos + 8, 0);
        return putStatus(buf, pos + IA_NA_FIXED, status, message);
    }

    /** One option as a value: tests and diagnostics. */
    public record Option(int code, byte[] data) {
    }

    /** A whole message as a value, top-level options in wire order: tests and diagnostics, never the hot path. */
    public record Repr(int msgType, int transactionId, List<Option> options) {
        public Repr {
            options = List.copyOf(options);
        }

        /** The message the view points at; null when its options are malformed. */
        public static Repr parse(Dhcpv6Message m) {
            m.topLevelOptions();
            List<Option> opts = new ArrayList<>();
            while (m.nextOption()) {
                byte[] d = new byte[m.optionLength()];
                m.buffer().getBytes(m.optionDataOffset(), d);
                opts.add(new Option(m.optionCode(), d));
            }
            boolean bad = m.optionsMalformed();
            m.topLevelOptions();
            return bad ? null : new Repr(m.msgType(), m.transactionId(), opts);
        }

        /** The data of the first option with this code, or null. */
        public byte[] option(int code) {
            for (Option o : options) {
                if (o.code() == code) {
                    return o.data();
                }
            }
            return null;
        }

        /** Writes the message at {@code off}; returns its length. */
        public int emit(ByteBuf buf, int off) {
            int p = emitHeader(buf, off, msgType, transactionId);
            for (Option o : options) {
                p = putBytes(buf, p, o.code(), o.data());
            }
            return p - off;
        }
    }
}
