package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Socket options Java and netty do not expose, applied to the int fd of a
 * host socket (an epoll channel's {@code fd().intValue()}, a ping socket).
 */
public final class SocketOptions {
    private SocketOptions() {
    }

    /**
     * SO_BINDTODEVICE: the socket sends and receives through ifName only. An empty name
     * removes the binding. Needs CAP_NET_RAW to change an existing binding.
     */
    public static void bindToDevice(int fd, String ifName) throws IOException {
        ByteBuffer opt;
        int len;
        if (ifName.isEmpty()) {
            opt = Native.direct(1);
            len = 0;
        } else {
            Native.checkIfName(ifName);
            opt = Native.cString(ifName);
            len = opt.capacity();
        }
        int rc = Native.LIBC.setsockopt(fd, Native.SOL_SOCKET, Native.SO_BINDTODEVICE, Native.address(opt), len);
        Reference.reachabilityFence(opt);
        if (rc != 0) {
            throw Native.failure("SO_BINDTODEVICE " + ifName);
        }
    }

    /** The device the socket is bound to (getsockopt SO_BINDTODEVICE), "" if none. */
    public static String boundDevice(int fd) throws IOException {
        ByteBuffer name = Native.direct(Native.IFNAMSIZ);
        ByteBuffer len = Native.direct(4);
        len.putInt(0, Native.IFNAMSIZ);
        int rc = Native.LIBC.getsockopt(fd, Native.SOL_SOCKET, Native.SO_BINDTODEVICE,
                Native.address(name), Native.address(len));
        Reference.reachabilityFence(len);
        if (rc != 0) {
            throw Native.failure("getsockopt SO_BINDTODEVICE");
        }
        int n = Math.min(len.getInt(0), Native.IFNAMSIZ);
        int end = 0;
        while (end < n && name.get(end) != 0) {
            end++;
        }
        byte[] b = new byte[end];
        name.get(0, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
