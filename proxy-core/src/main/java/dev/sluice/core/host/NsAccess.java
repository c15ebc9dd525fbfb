package dev.sluice.core.host;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Sluice does inside the guest's network namespace in tap mode: open the tap,
 * configure it over rtnetlink, make sockets there (pasta's {@code -T}/{@code -U}
 * listeners) and read its {@code /proc/net} tables ({@code auto} forwards).
 *
 * <p>Two ways in. {@link #direct}: this process may enter the namespace
 * ({@code setns} on a throw-away thread, {@link Netns#callIn}) — root, or root of the
 * user namespace that owns it. {@link NsAgentClient}: it may not (an ordinary user and
 * a namespace owned by a user namespace of its own, pasta's rootless case), so a
 * single-threaded helper enters the user and network namespaces and does the work,
 * handing descriptors back.
 */
public interface NsAccess extends AutoCloseable {
    /** Opens (creating if missing) tap ifName in the namespace; non-blocking fd, IFF_NO_PI. */
    default int openTap(String ifName) throws IOException {
        return openTap(ifName, false);
    }

    /** {@link #openTap(String)}, with {@code vnetHdr} also IFF_VNET_HDR ({@link Tun#openTap(int, String, boolean)}). */
    int openTap(String ifName, boolean vnetHdr) throws IOException;

    void setMac(String ifName, long mac) throws IOException;

    void setUp(String ifName, int mtu) throws IOException;

    void addAddress(String ifName, InetAddress addr, int prefixLen) throws IOException;

    void addDefaultRoute(String ifName, InetAddress gateway) throws IOException;

    /** A new non-blocking, close-on-exec socket made in the namespace: TCP or UDP, IPv4 or IPv6. */
    int socket(boolean v6, boolean tcp) throws IOException;

    /** The namespace's /proc/net/NAME ("tcp", "tcp6", "udp", "udp6"). */
    String procNet(String name) throws IOException;

    /** Setup is over; an access that holds a helper lets it go unless {@code stillNeeded}. */
    default void setupDone(boolean stillNeeded) {
    }

    @Override
    void close();

    /** Through setns, for a process that may enter the namespace nsFd (this takes the fd over). */
    static NsAccess direct(int nsFd) {
        return new NsAccess() {
            @Override
            public int openTap(String ifName, boolean vnetHdr) throws IOException {
                return Tun.openTap(nsFd, ifName, vnetHdr);
            }

            @Override
            public void setMac(String ifName, long mac) throws IOException {
                LinkConfig.setMac(nsFd, ifName, mac);
            }

            @Override
            public void setUp(String ifName, int mtu) throws IOException {
                LinkConfig.setUp(nsFd, ifName, mtu);
            }

            @Override
            public void addAddress(String ifName, InetAddress addr, int prefixLen) throws IOException {
                LinkConfig.addAddress(nsFd, ifName, addr, prefixLen);
            }

            @Override
            public void addDefaultRoute(String ifName, InetAddress gateway) throws IOException {
                LinkConfig.addDefaultRoute(nsFd, ifName, gateway);
            }

            @Override
            public int socket(boolean v6, boolean tcp) throws IOException {
                return inNs(() -> NsAccess.socketHere(v6, tcp));
            }

            @Override
            public String procNet(String name) throws IOException {
                // thread-self: the thread that entered the namespace, not the process's view
                return inNs(() -> Files.readString(Path.of("/proc/thread-self/net", name)));
            }

            private <T> T inNs(java.util.concurrent.Callable<T> body) throws IOException {
                try {
                    return Netns.callIn(nsFd, body);
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e.getMessage(), e);
                }
            }

            @Override
            public void close() {
                Native.closeQuietly(nsFd);
            }
        };
    }

    /** socket(2) in the calling thread's namespace. */
    static int socketHere(boolean v6, boolean tcp) throws IOException {
        int fd = Native.LIBC.socket(v6 ? Native.AF_INET6 : Native.AF_INET,
                (tcp ? 1 : Native.SOCK_DGRAM) | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.failure("socket");
        }
        return fd;
    }
}
