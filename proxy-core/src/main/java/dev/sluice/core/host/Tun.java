package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Tap devices: opens /dev/net/tun inside a namespace and attaches it to a
 * named tap interface, created if missing. The device is not persistent: it
 * disappears when the last fd on it is closed. Frames are read and written on
 * the fd whole, without a packet-information header (IFF_NO_PI); with
 * {@code vnetHdr} each is preceded by a virtio_net_hdr (IFF_VNET_HDR), whose
 * size and offloads {@link TapOffload} sets.
 */
public final class Tun {
    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;
    static final long TUNSETIFF = 0x400454caL;
    static final int IFREQ_SIZE = 40;

    private Tun() {
    }

    /**
     * Opens /dev/net/tun in the namespace nsFd (via {@link Netns#callIn}; negative: the
     * caller's namespace), TUNSETIFF IFF_TAP|IFF_NO_PI with the given name, non-blocking.
     * Returns the fd; close it with {@link Fds#close}.
     */
    public static int openTap(int nsFd, String ifName) throws IOException {
        return openTap(nsFd, ifName, false);
    }

    /**
     * {@link #openTap(int, String)}, with {@code vnetHdr} also IFF_VNET_HDR: every
     * read and write then starts with a virtio_net_hdr ({@link TapOffload}).
     */
    public static int openTap(int nsFd, String ifName, boolean vnetHdr) throws IOException {
        Native.checkIfName(ifName);
        int flags = IFF_TAP | IFF_NO_PI | (vnetHdr ? IFF_VNET_HDR : 0);
        try {
            return Netns.callIn(nsFd, () -> openTapHere(ifName, flags));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("open tap " + ifName, e);
        }
    }

    private static int openTapHere(String ifName, int flags) throws IOException {
        ByteBuffer path = Native.cString("/dev/net/tun");
        int fd = Native.LIBC.open(Native.address(path), Native.O_RDWR | Native.O_NONBLOCK | Native.O_CLOEXEC, 0);
        Reference.reachabilityFence(path);
        if (fd < 0) {
            throw Native.failure("open /dev/net/tun");
        }
        ByteBuffer ifr = Native.direct(IFREQ_SIZE);
        ifreq(ifr, ifName, flags);
        int rc = Native.LIBC.ioctl(fd, TUNSETIFF, Native.address(ifr));
        Reference.reachabilityFence(ifr);
        if (rc != 0) {
            IOException e = Native.failure("TUNSETIFF " + ifName);
            Native.closeQuietly(fd);
            throw e;
        }
        return fd;
    }

    /** struct ifreq for TUNSETIFF: char ifr_name[16], then short ifr_flags; 40 bytes in all. */
    static void ifreq(ByteBuffer ifr, String name, int flags) {
        for (int i = 0; i < IFREQ_SIZE; i++) {
            ifr.put(i, (byte) 0);
        }
        ifr.put(0, name.getBytes(StandardCharsets.UTF_8));
        ifr.putShort(Native.IFNAMSIZ, (short) flags);
    }
}
