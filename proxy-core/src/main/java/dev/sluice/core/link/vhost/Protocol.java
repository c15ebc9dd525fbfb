package dev.sluice.core.link.vhost;

/**
 * vhost-user wire constants (QEMU docs/interop/vhost-user.rst): requests the
 * front-end sends, header flags, and the virtio feature bits Sluice offers.
 * A message is a 12-byte header (u32 request, u32 flags, u32 payload size,
 * native byte order) followed by the payload; descriptors ride along as
 * SCM_RIGHTS ancillary data.
 */
final class Protocol {
    static final int HEADER = 12;
    /** Larger than any payload of the requests handled (a memory table of 8 regions is 264 bytes). */
    static final int MAX_PAYLOAD = 4096;

    static final int VERSION = 0x1;
    static final int VERSION_MASK = 0x3;
    static final int FLAG_REPLY = 0x4;
    static final int FLAG_NEED_REPLY = 0x8;

    static final int GET_FEATURES = 1;
    static final int SET_FEATURES = 2;
    static final int SET_OWNER = 3;
    static final int RESET_OWNER = 4;
    static final int SET_MEM_TABLE = 5;
    static final int SET_LOG_BASE = 6;
    static final int SET_LOG_FD = 7;
    static final int SET_VRING_NUM = 8;
    static final int SET_VRING_ADDR = 9;
    static final int SET_VRING_BASE = 10;
    static final int GET_VRING_BASE = 11;
    static final int SET_VRING_KICK = 12;
    static final int SET_VRING_CALL = 13;
    static final int SET_VRING_ERR = 14;
    static final int GET_PROTOCOL_FEATURES = 15;
    static final int SET_PROTOCOL_FEATURES = 16;
    static final int GET_QUEUE_NUM = 17;
    static final int SET_VRING_ENABLE = 18;

    private static final String[] NAMES = {"NONE", "GET_FEATURES", "SET_FEATURES", "SET_OWNER", "RESET_OWNER",
        "SET_MEM_TABLE", "SET_LOG_BASE", "SET_LOG_FD", "SET_VRING_NUM", "SET_VRING_ADDR", "SET_VRING_BASE",
        "GET_VRING_BASE", "SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ERR", "GET_PROTOCOL_FEATURES",
        "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM", "SET_VRING_ENABLE", "SEND_RARP", "NET_SET_MTU",
        "SET_BACKEND_REQ_FD", "IOTLB_MSG", "SET_VRING_ENDIAN", "GET_CONFIG", "SET_CONFIG",
        "CREATE_CRYPTO_SESSION", "CLOSE_CRYPTO_SESSION", "POSTCOPY_ADVISE", "POSTCOPY_LISTEN", "POSTCOPY_END",
        "GET_INFLIGHT_FD", "SET_INFLIGHT_FD", "GPU_SET_SOCKET", "RESET_DEVICE", "VRING_KICK",
        "GET_MAX_MEM_SLOTS", "ADD_MEM_REG", "REM_MEM_REG", "SET_STATUS", "GET_STATUS"};

    static final int F_NET_MRG_RXBUF = 15;
    static final int F_RING_INDIRECT_DESC = 28;
    static final int F_RING_EVENT_IDX = 29;
    static final int F_PROTOCOL_FEATURES = 30;
    static final int F_VERSION_1 = 32;

    /**
     * Offered virtio features. No checksum or segmentation offload: the flow
     * code builds complete, checksummed frames of at most the MTU and expects
     * the same from the guest, so CSUM/GUEST_CSUM/TSO would need partial
     * checksums and super-frames handled end to end (they are not); at MTU
     * 65520 the gain would be small anyway.
     */
    static final long OFFERED_FEATURES = 1L << F_VERSION_1 | 1L << F_NET_MRG_RXBUF | 1L << F_RING_INDIRECT_DESC
            | 1L << F_RING_EVENT_IDX | 1L << F_PROTOCOL_FEATURES;

    static final int PF_REPLY_ACK = 3;
    static final long OFFERED_PROTOCOL_FEATURES = 1L << PF_REPLY_ACK;

    /** SET_VRING_KICK/CALL/ERR: the payload's bit saying no descriptor is attached. */
    static final long VRING_NOFD = 0x100;
    static final long VRING_INDEX_MASK = 0xff;

    private Protocol() {
    }

    static String name(int request) {
        return request >= 0 && request < NAMES.length ? NAMES[request] : "request " + request;
    }
}
