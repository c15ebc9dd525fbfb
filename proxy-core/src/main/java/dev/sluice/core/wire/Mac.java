package dev.sluice.core.wire;

import io.netty.buffer.ByteBuf;

/** MAC addresses as 48-bit values in a {@code long}: no allocation to read, compare or write one. */
public final class Mac {
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private Mac() {
    }

    public static long get(ByteBuf buf, int off) {
        return ((long) buf.getUnsignedShort(off) << 32) | buf.getUnsignedInt(off + 2);
    }

    public static void set(ByteBuf buf, int off, long mac) {
        buf.setShort(off, (int) (mac >>> 32));
        buf.setInt(off + 2, (int) mac);
    }

    /** Parses {@code 9a:55:9a:55:9a:55}; throws {@link IllegalArgumentException} on anything else. */
    public static long parse(String s) {
        String[] parts = s.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + s);
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2) {
                throw new IllegalArgumentException("not a MAC address: " + s);
            }
            try {
                v = (v << 8) | Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: " + s);
            }
        }
        return v;
    }

    public static String format(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xff;
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    public static boolean isMulticast(long mac) {
        return ((mac >>> 40) & 1) != 0;
    }
}
