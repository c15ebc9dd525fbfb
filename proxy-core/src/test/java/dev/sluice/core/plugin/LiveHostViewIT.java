package dev.sluice.core.plugin;

import static dev.sluice.core.plugin.TestEnv.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.api.HostAddress;
import dev.sluice.core.host.Fds;
import dev.sluice.core.host.Netns;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@link LiveHostView#fromNetlink} in a namespace of its own (root): isLocal
 * follows {@code ip addr add/del} at once, in both directions, also on the
 * event loop; the address list follows through the netlink monitor on the
 * loop within a bounded wait; link events rename and remove.
 */
class LiveHostViewIT {

    @Test
    void exactAtOnceAndTheListFollows() throws Exception {
        String ns = "lhv-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        run("ip", "netns", "add", ns);
        try {
            ipn(ns, "link", "set", "lo", "up");
            ipn(ns, "link", "add", "a0", "type", "veth", "peer", "name", "a1");
            ipn(ns, "link", "set", "a0", "up");
            ipn(ns, "link", "set", "a1", "up");
            ipn(ns, "addr", "add", "10.66.0.1/24", "dev", "a0");
            int nsFd = Netns.open(ns);
            LiveHostView view;
            try {
                // The sockets belong to the namespace they are opened in; the loop's thread may be anywhere.
                view = Netns.callIn(nsFd, () -> LiveHostView.fromNetlink(loop));
            } finally {
                Fds.close(nsFd);
            }
            try (view) {
                assertTrue(view.addresses().contains(new HostAddress("a0", ifIndex(ns, "a0"), ip("10.66.0.1"), 24)),
                        view.addresses().toString());
                assertEquals("a0", view.localInterface(ip("10.66.0.1")));
                assertEquals("lo", view.localInterface(ip("127.0.0.1")));
                assertNull(view.localInterface(ip("10.66.0.2")));

                for (int round = 0; round < 3; round++) {
                    ipn(ns, "addr", "add", "10.55.0.1/32", "dev", "a1");
                    // The very next question, from this thread and from the loop, with no pause.
                    assertEquals("a1", view.localInterface(ip("10.55.0.1")), "round " + round);
                    assertEquals("a1", loop.submit(() -> view.localInterface(ip("10.55.0.1"))).get(5, TimeUnit.SECONDS));
                    ipn(ns, "addr", "del", "10.55.0.1/32", "dev", "a1");
                    assertFalse(view.isLocal(ip("10.55.0.1")), "round " + round);
                    assertFalse(loop.submit(() -> view.isLocal(ip("10.55.0.1"))).get(5, TimeUnit.SECONDS));
                }
                // IPv6 too (no DAD: local from the start).
                ipn(ns, "addr", "add", "fd55::1/128", "dev", "a0", "nodad");
                assertEquals("a0", view.localInterface(ip("fd55::1")));
                await(() -> view.localAddresses().contains(ip("fd55::1")), view);
                ipn(ns, "addr", "del", "fd55::1/128", "dev", "a0");
                assertFalse(view.isLocal(ip("fd55::1")));
                await(() -> !view.localAddresses().contains(ip("fd55::1")), view);

                // The list follows through the monitor on the loop.
                long g = view.generation();
                ipn(ns, "addr", "add", "10.44.0.1/24", "dev", "a1");
                await(() -> view.localAddresses().contains(ip("10.44.0.1")), view);
                assertTrue(view.generation() > g);
                assertEquals(List.of(new HostAddress("a1", ifIndex(ns, "a1"), ip("10.44.0.1"), 24)),
                        view.addressesOf("a1").stream().filter(a -> a.address().equals(ip("10.44.0.1"))).toList());

                // A brand-new interface is named at once (asked of the kernel if no event has named it yet).
                // Asked on the loop, as plugins do: the loop may be using the lookup socket for a new
                // interface's name, and a concurrent caller's own socket would be in this thread's namespace.
                ipn(ns, "link", "add", "b0", "type", "veth", "peer", "name", "b1");
                ipn(ns, "addr", "add", "10.33.0.1/24", "dev", "b0");
                assertEquals("b0", loop.submit(() -> view.localInterface(ip("10.33.0.1"))).get(5, TimeUnit.SECONDS));
                await(() -> view.interfaceNames().contains("b0"), view);
                // Renamed, then deleted: the list follows.
                ipn(ns, "link", "set", "b0", "name", "b9");
                await(() -> view.interfaceNames().contains("b9") && !view.interfaceNames().contains("b0"), view);
                assertEquals("b9", loop.submit(() -> view.localInterface(ip("10.33.0.1"))).get(5, TimeUnit.SECONDS));
                ipn(ns, "link", "del", "b9");
                assertFalse(loop.submit(() -> view.isLocal(ip("10.33.0.1"))).get(5, TimeUnit.SECONDS));
                await(() -> !view.localAddresses().contains(ip("10.33.0.1")), view);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            run("ip", "netns", "del", ns);
        }
    }

    private static void await(BooleanSupplier done, LiveHostView view) throws InterruptedException {
        for (int i = 0; i < 100 && !done.getAsBoolean(); i++) {
            Thread.sleep(50);
        }
        assertTrue(done.getAsBoolean(), "the list did not follow: " + view.addresses());
    }

    private static int ifIndex(String ns, String name) throws IOException {
        String line = ipn(ns, "-o", "link", "show", "dev", name);
        return Integer.parseInt(line.substring(0, line.indexOf(':')).trim());
    }

    private static String ipn(String ns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", cmd));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out.trim());
        }
        return out;
    }
}
