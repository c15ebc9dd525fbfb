package dev.sluice.core.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Captures real rtnetlink replies into the test resources under netlink/
 * (run by capture.sh there, inside a namespace it builds). Not a test.
 *
 * <pre>
 * NetlinkCapture dump OUT_PREFIX            # OUT_PREFIX-links.bin, -addrs.bin, -routes4.bin, -routes6.bin
 * NetlinkCapture monitor OUT CMD...         # datagrams received while CMD (a shell line) runs
 * NetlinkCapture routeget OUT DST[%IFINDEX]... # the reply to one RTM_GETROUTE (fib match) per destination
 * </pre>
 * Each file holds the concatenated datagrams, i.e. a plain sequence of netlink messages.
 */
public final class NetlinkCapture {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("dump")) {
            dump(args[1] + "-links.bin", Rtnl.RTM_GETLINK, 0);
            dump(args[1] + "-addrs.bin", Rtnl.RTM_GETADDR, 0);
            dump(args[1] + "-routes4.bin", Rtnl.RTM_GETROUTE, Native.AF_INET);
            dump(args[1] + "-routes6.bin", Rtnl.RTM_GETROUTE, Native.AF_INET6);
        } else if (args[0].equals("monitor")) {
            try (NetlinkSocket nl = NetlinkSocket.open(
                    Rtnl.RTMGRP_IPV4_IFADDR | Rtnl.RTMGRP_IPV6_IFADDR | Rtnl.RTMGRP_LINK, true)) {
                Process p = new ProcessBuilder("sh", "-c", args[2]).inheritIO().start();
                if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("command failed: " + args[2]);
                }
                Thread.sleep(200);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int i = 0; i < 1000; i++) {
                    int n = nl.recv();
                    if (n < 0) {
                        break;
                    }
                    append(out, nl.rx(), n);
                }
                Files.write(Path.of(args[1]), out.toByteArray());
            }
        } else if (args[0].equals("routeget")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (NetlinkSocket nl = NetlinkSocket.open(0, false)) {
                for (int i = 2; i < args.length; i++) {
                    int pct = args[i].indexOf('%');
                    String dst = pct < 0 ? args[i] : args[i].substring(0, pct);
                    int oif = pct < 0 ? 0 : Integer.parseInt(args[i].substring(pct + 1));
                    RtnlWriter.getRoute(nl.tx(), nl.nextSeq(), java.net.InetAddress.getByName(dst).getAddress(), oif);
                    nl.send();
                    int n = nl.recv();
                    if (n <= 0) {
                        throw new IOException("recv " + n);
                    }
                    append(out, nl.rx(), n);
                }
            }
            Files.write(Path.of(args[1]), out.toByteArray());
        } else {
            throw new IllegalArgumentException(args[0]);
        }
    }

    private static void dump(String file, int type, int family) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (NetlinkSocket nl = NetlinkSocket.open(0, false)) {
            int s = nl.nextSeq();
            RtnlWriter.dump(nl.tx(), type, family, s);
            nl.send();
            for (int i = 0; i < 1000; i++) {
                int n = nl.recv();
                if (n < 0) {
                    throw new IOException("recv " + n);
                }
                append(out, nl.rx(), n);
                boolean[] done = {false};
                RtnlParser.walk(nl.rx(), 0, n, (t, f, q, b, o, l) -> done[0] |= t == Rtnl.NLMSG_DONE);
                if (done[0]) {
                    break;
                }
            }
        }
        Files.write(Path.of(file), out.toByteArray());
    }

    private static void append(ByteArrayOutputStream out, ByteBuffer rx, int n) {
        byte[] b = new byte[n];
        rx.get(0, b);
        out.write(b, 0, n);
    }
}
