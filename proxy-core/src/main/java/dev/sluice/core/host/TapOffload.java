package dev.sluice.core.host;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;

/**
 * The virtio_net_hdr side of a tap opened with IFF_VNET_HDR
 * ({@link Tun#openTap(int, String, boolean)}): its size (TUNSETVNETHDRSZ) and
 * which offloads the reader takes from the kernel (TUNSETOFFLOAD). Offloads
 * only say what frames the kernel may hand us (partial checksums, TCP
 * super-frames); frames we write may use the header's flags either way.
 */
public final class TapOffload {
    /**
     * The legacy struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size,
     * csum_start, csum_offset. The 12-byte variant only adds num_buffers,
     * which a tap never uses; and 10 header bytes plus 14 of Ethernet put the
     * IP header 8-byte aligned in a receive buffer that starts aligned.
     */
    public static final int HDR_LEN = 10;

    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    /** UDP segmentation offload (Linux 6.2); not asked for: UDP flows forward datagram for datagram. */
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    /** What Sluice asks for: partial checksums and TCP super-frames of both families. */
    public static final int SLUICE_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNGETVNETHDRSZ = 0x800454d7L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    private TapOffload() {
    }

    /** TUNSETVNETHDRSZ: the header size on every read and write of this tap fd. */
    public static void setHeaderSize(int tapFd, int size) throws IOException {
        ByteBuffer v = Native.direct(4);
        v.putInt(0, size);
        int rc = Native.LIBC.ioctl(tapFd, TUNSETVNETHDRSZ, Native.address(v));
        Reference.reachabilityFence(v);
        if (rc != 0) {
            throw Native.failure("TUNSETVNETHDRSZ " + size);
        }
    }

    /** TUNGETVNETHDRSZ. */
    public static int headerSize(int tapFd) throws IOException {
        ByteBuffer v = Native.direct(4);
        int rc = Native.LIBC.ioctl(tapFd, TUNGETVNETHDRSZ, Native.address(v));
        int size = v.getInt(0);
        Reference.reachabilityFence(v);
        if (rc != 0) {
            throw Native.failure("TUNGETVNETHDRSZ");
        }
        return size;
    }

    /** TUNSETOFFLOAD: the offloads ({@code TUN_F_*}) the reader of this tap takes; 0 takes none. */
    public static void setOffloads(int tapFd, int flags) throws IOException {
        // The argument is the flag word itself, not a pointer to it.
        if (Native.LIBC.ioctl(tapFd, TUNSETOFFLOAD, flags) != 0) {
            throw Native.failure("TUNSETOFFLOAD 0x" + Integer.toHexString(flags));
        }
    }
}
