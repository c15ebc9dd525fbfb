package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** SO_BINDTODEVICE on netty epoll sockets created inside a test namespace (root). */
class SocketOptionsIT {

    @Test
    void bindsNettySocketsToADevice() throws Exception {
        try (TestNetns netns = new TestNetns()) {
            String h = netns.create("so-h");
            TestNetns.ip(h, "link", "add", "sv0", "type", "veth", "peer", "name", "sv1");
            Epoll.ensureAvailability(); // loads netty's native code
            int nsFd = Netns.open(h);
            try {
                Netns.callIn(nsFd, () -> {
                    EpollDatagramChannel udp = new EpollDatagramChannel(); // opens its socket right away
                    EpollSocketChannel tcp = new EpollSocketChannel();
                    try {
                        int fd = udp.fd().intValue();
                        assertEquals("", SocketOptions.boundDevice(fd));
                        SocketOptions.bindToDevice(fd, "sv0");
                        assertEquals("sv0", SocketOptions.boundDevice(fd));
                        SocketOptions.bindToDevice(fd, "");
                        assertEquals("", SocketOptions.boundDevice(fd));

                        int tfd = tcp.fd().intValue();
                        SocketOptions.bindToDevice(tfd, "sv1");
                        assertEquals("sv1", SocketOptions.boundDevice(tfd));

                        IOException e = assertThrows(IOException.class, () -> SocketOptions.bindToDevice(fd, "nope0"));
                        assertTrue(e.getMessage().contains("ENODEV"), e.getMessage());
                    } finally {
                        udp.unsafe().closeForcibly();
                        tcp.unsafe().closeForcibly();
                    }
                    return null;
                });
            } finally {
                Fds.close(nsFd);
            }
        }
    }
}
