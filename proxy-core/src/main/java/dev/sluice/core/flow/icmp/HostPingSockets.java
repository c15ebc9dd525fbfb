package dev.sluice.core.flow.icmp;

import dev.sluice.core.host.Fds;
import dev.sluice.core.host.PingSocket;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.net.InetAddress;

/**
 * The default {@link PingSockets}: {@link PingSocket} of {@code host/}, where
 * Sluice's native calls live (sendmsg/recvmsg into the buffer's native
 * memory: no copy, no allocation per echo).
 */
public final class HostPingSockets implements PingSockets {
    public static final HostPingSockets INSTANCE = new HostPingSockets();

    private HostPingSockets() {
    }

    @Override
    public int open(boolean ipv6) throws IOException {
        return PingSocket.open(ipv6);
    }

    @Override
    public boolean bind(int fd, boolean ipv6, InetAddress local, int id) throws IOException {
        try {
            PingSocket.bind(fd, local, id, ipv6);
            return true;
        } catch (IOException e) {
            if (e.getMessage() != null && (e.getMessage().contains("EADDRINUSE") || e.getMessage().contains("in use"))) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public int sendTo(int fd, ByteBuf buf, int index, int len, byte[] dst) throws IOException {
        return PingSocket.sendTo(fd, buf.memoryAddress() + index, len, dst, 0);
    }

    @Override
    public int recvFrom(int fd, ByteBuf buf, int index, int cap, byte[] src) throws IOException {
        return PingSocket.recvFrom(fd, buf.memoryAddress() + index, cap, src);
    }

    @Override
    public void close(int fd) {
        try {
            Fds.close(fd);
        } catch (IOException e) {
            // Nothing to do about a failed close of a socket we are done with.
        }
    }

    @Override
    public boolean groupRangeAdmits(int gid) {
        return PingSocket.groupRangeAdmits(gid);
    }
}
