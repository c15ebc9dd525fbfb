package dev.sluice.core.host;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * {@code if_nametoindex(3)}: the kernel's index of an interface name in the
 * calling thread's network namespace, asked at the time of the call (glibc
 * opens a socket, does one SIOCGIFINDEX ioctl and closes it; nothing blocks).
 * Unlike {@link java.net.NetworkInterface#getByName}, which enumerates every
 * interface and skips those without addresses, it finds any interface and
 * allocates nothing: the name is copied into a per-thread direct buffer.
 * For plugins' "does this interface exist right now" on the event loop.
 */
public final class InterfaceIndex {
    private static final ThreadLocal<ByteBuffer> NAME = ThreadLocal.withInitial(() -> Native.direct(Native.IFNAMSIZ));

    private InterfaceIndex() {
    }

    /** The interface's index, or 0 if there is none of that name (or it cannot be an interface name). */
    public static int of(String name) {
        if (name == null || name.isEmpty()) {
            return 0;
        }
        ByteBuffer buf = NAME.get();
        if (!copyName(name, buf)) {
            return 0;
        }
        int index = Native.LIBC.if_nametoindex(Native.address(buf));
        Reference.reachabilityFence(buf);
        return Math.max(index, 0);
    }

    /** Whether an interface of this name exists now. */
    public static boolean exists(String name) {
        return of(name) > 0;
    }

    /**
     * Writes name NUL-terminated at the start of buf (IFNAMSIZ bytes); false
     * if it is too long for an interface name. ASCII is copied char by char;
     * anything else goes through UTF-8 (allocating, but no real name does).
     */
    static boolean copyName(String name, ByteBuffer buf) {
        int n = name.length();
        if (n >= Native.IFNAMSIZ) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c == 0 || c > 0x7e) {
                return c != 0 && copyUtf8(name, buf);
            }
            buf.put(i, (byte) c);
        }
        buf.put(n, (byte) 0);
        return true;
    }

    private static boolean copyUtf8(String name, ByteBuffer buf) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length >= Native.IFNAMSIZ) {
            return false;
        }
        buf.put(0, b);
        buf.put(b.length, (byte) 0);
        return true;
    }
}
