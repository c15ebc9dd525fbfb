package dev.sluice.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.HexFormat;
import java.util.function.Predicate;

/** Small helpers to pick frames out of test captures and to look at raw bytes. */
public final class Frames {
    public static final int ETH = 14;
    public static final int IP6_L4 = ETH + 40;

    private Frames() {
    }

    public static ByteBuf buf(byte[] frame) {
        return Unpooled.wrappedBuffer(frame);
    }

    public static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s", ""));
    }

    public static int u8(byte[] f, int i) {
        return f[i] & 0xff;
    }

    public static int u16(byte[] f, int i) {
        return (u8(f, i) << 8) | u8(f, i + 1);
    }

    public static long mac(byte[] f, int i) {
        long v = 0;
        for (int k = 0; k < 6; k++) {
            v = (v << 8) | u8(f, i + k);
        }
        return v;
    }

    public static int etherType(byte[] f) {
        return u16(f, 12);
    }

    public static Predicate<byte[]> from(long srcMac) {
        return f -> mac(f, 6) == srcMac;
    }

    public static Predicate<byte[]> arp(int op) {
        return f -> etherType(f) == 0x0806 && u16(f, ETH + 6) == op;
    }

    /** IPv4 UDP to or from port 67/68 carrying DHCP message type {@code type} (option 53 right after the cookie or anywhere). */
    public static Predicate<byte[]> dhcp4(int type) {
        return f -> {
            if (etherType(f) != 0x0800 || u8(f, ETH + 9) != 17) {
                return false;
            }
            int udp = ETH + (u8(f, ETH) & 0xf) * 4;
            int dport = u16(f, udp + 2);
            if (dport != 67 && dport != 68) {
                return false;
            }
            int p = udp + 8 + 240;
            while (p + 1 < f.length && u8(f, p) != 255) {
                if (u8(f, p) == 0) {
                    p++;
                    continue;
                }
                if (u8(f, p) == 53) {
                    return u8(f, p + 2) == type;
                }
                p += 2 + u8(f, p + 1);
            }
            return false;
        };
    }

    /** IPv6 UDP (no extension headers) with DHCPv6 message type {@code type}. */
    public static Predicate<byte[]> dhcp6(int type) {
        return f -> etherType(f) == 0x86dd && u8(f, ETH + 6) == 17
                && (u16(f, IP6_L4 + 2) == 547 || u16(f, IP6_L4 + 2) == 546) && u8(f, IP6_L4 + 8) == type;
    }

    /** IPv6 ICMPv6 (no extension headers) of type {@code type}. */
    public static Predicate<byte[]> icmp6(int type) {
        return f -> etherType(f) == 0x86dd && u8(f, ETH + 6) == 58 && u8(f, IP6_L4) == type;
    }

    /** An IPv6 source address of all zeros (DAD). */
    public static Predicate<byte[]> unspecifiedSource() {
        return f -> {
            for (int i = ETH + 8; i < ETH + 24; i++) {
                if (f[i] != 0) {
                    return false;
                }
            }
            return true;
        };
    }
}
