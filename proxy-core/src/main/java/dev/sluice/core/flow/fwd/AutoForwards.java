package dev.sluice.core.flow.fwd;

import dev.sluice.core.host.NsAccess;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * pasta's {@code auto} port specifications: once a second, as pasta does, the listening
 * ports of one side are read from its /proc/net tables and the forwards of the other
 * side follow them. {@code -t/-u auto}: ports bound in the namespace get host listeners
 * (to the guest); {@code -T/-U auto}: ports the host listens on get listeners on the
 * namespace's loopback (to the host's loopback). TCP counts sockets in LISTEN, UDP
 * bound unconnected sockets. Ports the opposite direction's auto forwards hold are left
 * out, or each side would chase the other's listeners. A port that cannot be bound is
 * tried again only after it disappeared and came back. At most {@link #MAX_PORTS}
 * ports per protocol and direction.
 *
 * <p>The scans run on a thread of their own (reading a namespace's tables may mean
 * entering it); listeners are opened and closed through {@link PortForwarder} and
 * {@link NsForwarder}, which do it on the event loop.
 */
public final class AutoForwards implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AutoForwards.class);
    static final long PERIOD_MS = 1000;
    static final int MAX_PORTS = 1024;
    static final int TCP_LISTEN = 0x0a;
    static final int UDP_UNCONNECTED = 0x07;

    private final NsAccess ns;
    private final PortForwarder host;
    private final NsForwarder inNs;
    private final boolean tcpIn;
    private final boolean udpIn;
    private final boolean tcpOut;
    private final boolean udpOut;
    /** Port to its listeners, per protocol and direction: in = host to namespace, out = the reverse. */
    private final Map<Integer, List<Channel>> tIn = new HashMap<>();
    private final Map<Integer, List<Channel>> uIn = new HashMap<>();
    private final Map<Integer, List<Channel>> tOut = new HashMap<>();
    private final Map<Integer, List<Channel>> uOut = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-auto-forwards");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    /** host may be null unless tcpIn or udpIn; inNs null unless tcpOut or udpOut. */
    public AutoForwards(NsAccess ns, PortForwarder host, NsForwarder inNs,
                        boolean tcpIn, boolean udpIn, boolean tcpOut, boolean udpOut) {
        this.ns = ns;
        this.host = host;
        this.inNs = inNs;
        this.tcpIn = tcpIn;
        this.udpIn = udpIn;
        this.tcpOut = tcpOut;
        this.udpOut = udpOut;
    }

    /** First scan now (blocking, so the forwards exist when Sluice says it is ready), then every second. */
    public void start() {
        scan();
        timer.scheduleWithFixedDelay(this::scan, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void scan() {
        if (closed) {
            return;
        }
        try {
            if (tcpIn) {
                follow("TCP", tIn, nsPorts("tcp", TCP_LISTEN), tOut, p -> host.openPort(true, p));
            }
            if (udpIn) {
                follow("UDP", uIn, nsPorts("udp", UDP_UNCONNECTED), uOut, p -> host.openPort(false, p));
            }
            if (tcpOut) {
                follow("namespace TCP", tOut, hostPorts("tcp", TCP_LISTEN), tIn, p -> inNs.openPort(true, p));
            }
            if (udpOut) {
                follow("namespace UDP", uOut, hostPorts("udp", UDP_UNCONNECTED), uIn, p -> inNs.openPort(false, p));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("auto forwards: scan failed: {}", e.toString());
        }
    }

    private interface Opener {
        List<Channel> open(int port) throws IOException;
    }

    private synchronized void follow(String what, Map<Integer, List<Channel>> have, BitSet want,
                                     Map<Integer, List<Channel>> opposite, Opener opener) throws IOException {
        for (Iterator<Map.Entry<Integer, List<Channel>>> it = have.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, List<Channel>> e = it.next();
            if (!want.get(e.getKey())) {
                e.getValue().forEach(Channel::close);
                it.remove();
                log.info("auto: no longer forwarding {} port {}", what, e.getKey());
            }
        }
        for (int p = want.nextSetBit(1); p > 0 && p <= 65535; p = want.nextSetBit(p + 1)) {
            if (have.containsKey(p) || opposite.containsKey(p) || closed) {
                continue;
            }
            if (have.size() >= MAX_PORTS) {
                log.warn("auto: {} forwards at their limit of {} ports; port {} left out", what, MAX_PORTS, p);
                break;
            }
            List<Channel> chs = opener.open(p);
            have.put(p, chs); // empty: could not bind; retried once the port has come and gone
            if (!chs.isEmpty()) {
                log.info("auto: forwarding {} port {}", what, p);
            }
        }
    }

    private BitSet nsPorts(String proto, int state) throws IOException {
        BitSet b = listening(ns.procNet(proto), state);
        b.or(listening(ns.procNet(proto + "6"), state));
        return b;
    }

    private static BitSet hostPorts(String proto, int state) throws IOException {
        BitSet b = new BitSet(65536);
        for (String f : new String[] {proto, proto + "6"}) {
            Path p = Path.of("/proc/thread-self/net", f);
            if (Files.exists(p)) {
                b.or(listening(Files.readString(p), state));
            }
        }
        return b;
    }

    /** The local ports of the sockets in state (hex "st" column) of a /proc/net/{tcp,udp}[6] table. */
    static BitSet listening(String table, int state) {
        BitSet ports = new BitSet(65536);
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[0].endsWith(":")) {
                continue; // the header, or a blank line
            }
            int colon = f[1].lastIndexOf(':');
            try {
                if (colon > 0 && Integer.parseInt(f[3], 16) == state) {
                    ports.set(Integer.parseInt(f[1].substring(colon + 1), 16));
                }
            } catch (NumberFormatException e) {
                // not a socket line
            }
        }
        ports.clear(0);
        return ports;
    }

    /** Ports forwarded now: "TCP in", "UDP in", "TCP out", "UDP out" (tests). */
    synchronized java.util.Set<Integer> forwarded(boolean tcp, boolean in) {
        Map<Integer, List<Channel>> m = tcp ? (in ? tIn : tOut) : (in ? uIn : uOut);
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        m.forEach((p, chs) -> {
            if (!chs.isEmpty()) {
                out.add(p);
            }
        });
        return out;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Map<Integer, List<Channel>> m : List.of(tIn, uIn, tOut, uOut)) {
                m.values().forEach(l -> l.forEach(Channel::close));
                m.clear();
            }
        }
    }
}
