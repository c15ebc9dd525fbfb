package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * recvmsg/sendmsg with SCM_RIGHTS on a UNIX stream socket: the vhost-user
 * protocol attaches memory-region and eventfd descriptors to its messages.
 * A {@link Receiver} keeps its msghdr, iovec and control buffer, so a read
 * allocates nothing. (netty's domain channels read either bytes or fds, not a
 * message with both, hence this class.)
 */
public final class FdPassing {
    /** The protocol never attaches more than 8 fds to a message (VHOST_MEMORY_BASELINE_NREGIONS); room for 32. */
    public static final int MAX_FDS = 32;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int CMSG_HDR = 16;
    private static final int CONTROL_LEN = CMSG_HDR + 4 * MAX_FDS;
    private static final PairLibC PAIR = LibraryLoader.create(PairLibC.class).load("c");

    private FdPassing() {
    }

    /** Reads bytes and any attached descriptors; one per thread or connection (not thread-safe). */
    public static final class Receiver {
        private final ByteBuffer msg = Native.direct(56 + 16 + CONTROL_LEN);
        private final long msgAddr = Native.address(msg);
        private final int[] fds = new int[MAX_FDS];
        private int fdCount;

        /**
         * recvmsg of at most {@code len} bytes into {@code addr}: the byte count,
         * 0 at end of stream, -1 when nothing is available (EAGAIN). Descriptors
         * that came with them are then {@link #fd(int)} 0..{@link #fdCount()}-1,
         * owned by the caller (close-on-exec set).
         */
        public int recv(int sock, long addr, int len) throws IOException {
            fdCount = 0;
            long iov = msgAddr + 56;
            long control = iov + 16;
            msg.putLong(0, 0L).putInt(8, 0).putInt(12, 0)
                    .putLong(16, iov).putLong(24, 1L)
                    .putLong(32, control).putLong(40, CONTROL_LEN).putInt(48, 0);
            msg.putLong(56, addr).putLong(64, len);
            long n = Native.LIBC.recvmsg(sock, msgAddr, MSG_CMSG_CLOEXEC | Native.MSG_DONTWAIT);
            if (n < 0) {
                int e = Native.errno();
                if (e == Native.EAGAIN || e == Native.EINTR) {
                    return -1;
                }
                throw Native.failure("recvmsg", e);
            }
            long controlLen = msg.getLong(40);
            int off = 72;
            while (controlLen - (off - 72) >= CMSG_HDR) {
                long cmsgLen = msg.getLong(off);
                int level = msg.getInt(off + 8);
                int type = msg.getInt(off + 12);
                if (cmsgLen < CMSG_HDR || cmsgLen > controlLen - (off - 72)) {
                    break;
                }
                if (level == Native.SOL_SOCKET && type == SCM_RIGHTS) {
                    int k = (int) (cmsgLen - CMSG_HDR) / 4;
                    for (int i = 0; i < k && fdCount < MAX_FDS; i++) {
                        fds[fdCount++] = msg.getInt(off + CMSG_HDR + 4 * i);
                    }
                }
                off += (int) ((cmsgLen + 7) & ~7L);
            }
            if ((msg.getInt(48) & MSG_CTRUNC) != 0) {
                closeReceived();
                throw new IOException("recvmsg: more than " + MAX_FDS + " descriptors attached (control data truncated)");
            }
            return (int) n;
        }

        public int fdCount() {
            return fdCount;
        }

        public int fd(int i) {
            if (i >= fdCount) {
                throw new IndexOutOfBoundsException(i);
            }
            return fds[i];
        }

        /** Closes what the last {@link #recv} received (for callers that do not want them). */
        public void closeReceived() {
            for (int i = 0; i < fdCount; i++) {
                Native.closeQuietly(fds[i]);
            }
            fdCount = 0;
        }
    }

    /** sendmsg of {@code data} with {@code fdsToSend} attached; for tests and tools (allocates). */
    public static int send(int sock, byte[] data, int... fdsToSend) throws IOException {
        ByteBuffer payload = Native.direct(Math.max(1, data.length));
        payload.put(0, data);
        int clen = fdsToSend.length == 0 ? 0 : CMSG_HDR + ((4 * fdsToSend.length + 7) & ~7);
        ByteBuffer m = Native.direct(56 + 16 + Math.max(clen, 8));
        long iov = Native.address(m) + 56;
        long control = iov + 16;
        m.putLong(16, iov).putLong(24, 1L).putLong(32, clen == 0 ? 0 : control).putLong(40, clen);
        m.putLong(56, Native.address(payload)).putLong(64, data.length);
        if (clen > 0) {
            m.putLong(72, CMSG_HDR + 4L * fdsToSend.length).putInt(80, Native.SOL_SOCKET).putInt(84, SCM_RIGHTS);
            for (int i = 0; i < fdsToSend.length; i++) {
                m.putInt(88 + 4 * i, fdsToSend[i]);
            }
        }
        long n = Native.LIBC.sendmsg(sock, Native.address(m), MSG_NOSIGNAL);
        if (n < 0) {
            throw Native.failure("sendmsg");
        }
        return (int) n;
    }

    /** socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC): for tests. */
    public static int[] socketPair() throws IOException {
        ByteBuffer b = Native.direct(8);
        if (PAIR.socketpair(AF_UNIX, SOCK_STREAM | Native.SOCK_CLOEXEC, 0, Native.address(b)) != 0) {
            throw Native.failure("socketpair");
        }
        return new int[] {b.getInt(0), b.getInt(4)};
    }

    /** Public only so jnr-ffi's generated class may implement it. */
    public interface PairLibC {
        @SaveError int socketpair(int domain, int type, int protocol, long sv);
    }
}
