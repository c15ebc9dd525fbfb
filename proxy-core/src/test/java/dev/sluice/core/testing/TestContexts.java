package dev.sluice.core.testing;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.SluiceContext;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.local.LocalIoHandler;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Builds {@link SluiceContext}s for unit tests, with the address plan of the
 * captures under {@code frames/} (guest 10.77.0.1/24 via 10.77.0.254,
 * fd77::1/64) and a {@link ManualIoEventLoop} driven by the test thread on a
 * mock clock, so timers fire only when a test advances time.
 */
public final class TestContexts {
    public static final long OUR_MAC = GuestConfig.DEFAULT_OUR_MAC; // 9a:55:9a:55:9a:55
    public static final long GUEST_MAC = 0x525400123456L;            // 52:54:00:12:34:56 in the captures

    private TestContexts() {
    }

    public static Inet4Address v4(String s) {
        try {
            return (Inet4Address) InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static Inet6Address v6(String s) {
        try {
            return (Inet6Address) InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The default plan: everything on, MAC learned, MTU 65520, router fe80::1. */
    public static GuestConfig config() {
        return new GuestConfig(OUR_MAC, 0, GuestConfig.DEFAULT_MTU,
                true, v4("10.77.0.1"), 24, v4("10.77.0.254"), List.of(v4("10.77.0.254")),
                true, v6("fd77::1"), 64, v6("fd77::fe"), v6("fe80::1"), List.of(v6("fd77::fe")),
                List.of("example.test", "corp.example"),
                true, true, true, true);
    }

    /** A test context: its loop, link, counters. Call {@link #close()} when done. */
    public static final class Env implements AutoCloseable {
        public final SluiceContext ctx;
        public final CapturingLink link;
        public final ManualIoEventLoop loop;
        public final MockTicker ticker;

        Env(GuestConfig cfg) {
            this.ticker = Ticker.newMockTicker();
            this.loop = new ManualIoEventLoop(null, Thread.currentThread(), LocalIoHandler.newFactory(), ticker);
            this.link = new CapturingLink();
            this.ctx = new SluiceContext(cfg, new GuestState(cfg.guestMac()), new Counters(), (IoEventLoop) loop,
                    link, UnpooledByteBufAllocator.DEFAULT);
        }

        /** Advances the mock clock and runs what became due. */
        public void advanceSeconds(long s) {
            ticker.advance(s, java.util.concurrent.TimeUnit.SECONDS);
            loop.runNow();
        }

        public long counter(String name) {
            return ctx.counters().get(name).value();
        }

        @Override
        public void close() {
            loop.shutdown();
            // a manual loop shuts down only while the owner thread runs it
            for (int i = 0; i < 100 && !loop.isTerminated(); i++) {
                loop.runNow();
            }
        }
    }

    public static Env env() {
        return new Env(config());
    }

    public static Env env(GuestConfig cfg) {
        return new Env(cfg);
    }
}
