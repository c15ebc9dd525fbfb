package dev.sluice.core.flow.icmp;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.InetAddress;

/**
 * What the ICMP echo translation needs from unprivileged ping sockets
 * ({@code socket(AF_INET[6], SOCK_DGRAM, IPPROTO_ICMP[V6])}, see icmp(7)):
 * the kernel fills in the echo identifier (the socket's "port") and the
 * checksum, and delivers only replies to that identifier. All calls are
 * non-blocking and made from the event loop.
 *
 * <p>{@link HostPingSockets}, over {@code dev.sluice.core.host.PingSocket}, is
 * the default; the interface lets tests stand in for the kernel.
 */
public interface PingSockets {
    /** A new non-blocking, close-on-exec ping socket; IOException (EACCES) when ping_group_range excludes us. */
    int open(boolean ipv6) throws IOException;

    /**
     * Binds to {@code local} (null: any address) and echo identifier {@code id}
     * (0: the kernel picks one not used by any ping socket of the namespace).
     * False when that identifier is taken. Beware: recent kernels let two ping
     * sockets bind the same identifier, and then deliver every reply to the
     * newest; {@link IcmpFlows} therefore only ever binds with 0.
     */
    boolean bind(int fd, boolean ipv6, InetAddress local, int id) throws IOException;

    /**
     * Sends the ICMP message of {@code len} bytes at {@code index} of the direct
     * buffer {@code buf} to {@code dst} (4 or 16 bytes, matching the socket).
     * Returns the bytes sent, or -1 when the socket cannot take it now (EAGAIN).
     */
    int sendTo(int fd, ByteBuf buf, int index, int len, byte[] dst) throws IOException;

    /**
     * Receives one ICMP message (header first, no IP header) into the direct
     * buffer {@code buf} at {@code index}, at most {@code cap} bytes, and its
     * source address into {@code src} (4 or 16 bytes). Returns its length, or
     * -1 when nothing is pending (EAGAIN).
     */
    int recvFrom(int fd, ByteBuf buf, int index, int cap, byte[] src) throws IOException;

    /** Closes the socket; errors are ignored. */
    void close(int fd);

    /** Whether {@code net.ipv4.ping_group_range} of the current network namespace admits group {@code gid}. */
    boolean groupRangeAdmits(int gid);
}
