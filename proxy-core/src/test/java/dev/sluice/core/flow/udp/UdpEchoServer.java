package dev.sluice.core.flow.udp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A loopback UDP server answering "echo:" + payload to each sender; remembers who sent. */
final class UdpEchoServer implements AutoCloseable {
    final DatagramSocket socket;
    final List<InetSocketAddress> senders = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    UdpEchoServer(InetAddress bind) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(bind, 0));
        socket.setSoTimeout(100);
        thread = new Thread(this::run, "udp-echo");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void run() {
        byte[] buf = new byte[65536];
        while (running) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                senders.add((InetSocketAddress) p.getSocketAddress());
                byte[] out = new byte[5 + p.getLength()];
                System.arraycopy("echo:".getBytes(), 0, out, 0, 5);
                System.arraycopy(p.getData(), 0, out, 5, p.getLength());
                socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (SocketTimeoutException e) {
                // poll running
            } catch (IOException e) {
                if (running) {
                    throw new RuntimeException(e);
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        socket.close();
        thread.join(2000);
    }
}
