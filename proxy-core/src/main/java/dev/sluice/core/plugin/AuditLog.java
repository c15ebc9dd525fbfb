package dev.sluice.core.plugin;

import dev.sluice.core.Counters;
import dev.sluice.core.flow.FlowProtocol;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail of refused flows: one line per reject or drop on the slf4j
 * logger {@value #LOGGER}, for example
 * <pre>
 * REJECT proto=tcp src=10.0.2.15:40312 dst=10.0.2.2:22 mapped=127.0.0.1:22 plugin=deny-port reason="destination port 22 is denied"
 * </pre>
 * A guest that retries (a SYN every second, a resolver hammering a blocked
 * server) must not flood the log, so lines are rate-limited per
 * (plugin, destination as sent) with a token bucket: {@code burst} lines at
 * once, then one per {@code interval}. Lines held back are counted; the next
 * line for that key says {@code suppressed=N}, the counter
 * {@code chain.audit-suppressed} holds the total, and {@link #flush()} (at
 * exit) reports what is still pending. The key table is bounded (LRU), so a
 * guest scanning the internet costs memory only up to {@code maxKeys}.
 *
 * <p>Frames a plugin's frame hook drops are audited the same way, keyed by
 * (plugin, source MAC):
 * <pre>
 * DROP frame src=02:00:00:00:00:60 plugin=guest-addr reason="source MAC 02:00:00:00:00:60 is not the guest's"
 * </pre>
 * A guest may send such frames at line rate, so that path allocates nothing
 * unless it writes a line or meets a new key.
 *
 * <p>Event loop only: no locks. The formatting work is done only for lines
 * that are written.
 */
final class AuditLog {
    static final String LOGGER = "sluice.audit";
    static final int DEFAULT_BURST = 5;
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final int DEFAULT_MAX_KEYS = 4096;
    private static final int MAX_REASON = 200;

    /** Where lines go; the default writes INFO on {@value #LOGGER}. */
    @FunctionalInterface
    interface Sink {
        void line(String line);
    }

    private record Key(String plugin, InetSocketAddress destination) {
    }

    /** (plugin, source MAC); mutable so one instance can probe the table without allocating. */
    private static final class MacKey {
        String plugin;
        long mac;

        MacKey(String plugin, long mac) {
            this.plugin = plugin;
            this.mac = mac;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MacKey k && k.mac == mac && k.plugin.equals(plugin);
        }

        @Override
        public int hashCode() {
            return plugin.hashCode() * 31 + Long.hashCode(mac);
        }
    }

    private static final class Bucket {
        long tokens;
        long refilledAt;
        long suppressed;
    }

    private final Sink sink;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Counters.Counter suppressedTotal;
    private final Map<Object, Bucket> buckets;
    private final MacKey probe = new MacKey("", 0);
    /** Set once at startup by the control socket; volatile as it is set from another thread. */
    private volatile AuditEvent.Listener listener;

    AuditLog(Counters counters) {
        this(slf4jSink(), counters, DEFAULT_BURST, DEFAULT_INTERVAL_NANOS, System::nanoTime, DEFAULT_MAX_KEYS);
    }

    AuditLog(Sink sink, Counters counters, int burst, long intervalNanos, LongSupplier clock, int maxKeys) {
        if (burst < 1 || intervalNanos < 1 || maxKeys < 1) {
            throw new IllegalArgumentException("burst, interval and maxKeys must be positive");
        }
        this.sink = sink;
        this.burst = burst;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.suppressedTotal = counters.get("chain.audit-suppressed");
        this.buckets = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, Bucket> eldest) {
                // Its held-back count stays in the total counter.
                return size() > maxKeys;
            }
        };
    }

    static Sink slf4jSink() {
        Logger log = LoggerFactory.getLogger(LOGGER);
        return log::info;
    }

    /**
     * Records one refused flow, or counts it as suppressed.
     *
     * @param action "REJECT" or "DROP"
     */
    void record(String action, FlowProtocol proto, InetSocketAddress src, InetSocketAddress dst,
                InetSocketAddress mapped, String plugin, String reason) {
        Key key = new Key(plugin, dst);
        Bucket b = take(key, key);
        if (b == null) {
            return;
        }
        long suppressed = write(format(action, proto, src, dst, mapped, plugin, reason), b);
        AuditEvent.Listener l = listener;
        if (l != null) {
            l.onAudit(new AuditEvent(System.currentTimeMillis(), action, proto.name().toLowerCase(Locale.ROOT), src,
                    dst, mapped, 0, plugin, capped(reason), suppressed));
        }
    }

    void listener(AuditEvent.Listener l) {
        this.listener = l;
    }

    private static String capped(String reason) {
        return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON) + "...";
    }

    /**
     * Records one frame a plugin's frame hook dropped, or counts it as
     * suppressed. Allocates only when it writes a line or meets a new
     * (plugin, MAC) pair.
     *
     * @param reason asked for the reason only when a line is written
     */
    void recordFrame(String action, String plugin, long sourceMac, LongFunction<String> reason) {
        probe.plugin = plugin;
        probe.mac = sourceMac;
        Bucket b = take(probe, null);
        if (b == null) {
            return;
        }
        String why = reason.apply(sourceMac);
        StringBuilder sb = new StringBuilder(128).append(action).append(" frame src=")
                .append(CoreGuestView.format(sourceMac)).append(" plugin=").append(plugin).append(" reason=\"");
        appendEscaped(sb, why);
        long suppressed = write(sb.append('"'), b);
        AuditEvent.Listener l = listener;
        if (l != null) {
            l.onAudit(new AuditEvent(System.currentTimeMillis(), action, "frame", null, null, null, sourceMac, plugin,
                    capped(why), suppressed));
        }
    }

    /**
     * The key's bucket with a token taken, or null when it has none left (the
     * line is then counted as suppressed). A new key is stored as
     * {@code stored}, or as a copy of the probe when that is null.
     */
    private Bucket take(Object key, Object stored) {
        long now = clock.getAsLong();
        Bucket b = buckets.get(key);
        if (b == null) {
            b = new Bucket();
            b.tokens = burst;
            b.refilledAt = now;
            buckets.put(stored != null ? stored : new MacKey(probe.plugin, probe.mac), b);
        } else {
            long elapsed = now - b.refilledAt;
            if (elapsed >= intervalNanos) {
                long add = elapsed / intervalNanos;
                if (b.tokens + add >= burst) {
                    b.tokens = burst;
                    b.refilledAt = now;
                } else {
                    b.tokens += add;
                    b.refilledAt += add * intervalNanos;
                }
            }
        }
        if (b.tokens == 0) {
            b.suppressed++;
            suppressedTotal.inc();
            return null;
        }
        b.tokens--;
        return b;
    }

    /** Writes the line; returns how many lines of its key were held back before it. */
    private long write(StringBuilder sb, Bucket b) {
        long held = b.suppressed;
        if (held > 0) {
            sb.append(" suppressed=").append(held);
            b.suppressed = 0;
        }
        sink.line(sb.toString());
        return held;
    }

    /** Writes one line per key that still has held-back lines, then forgets them. At exit. */
    void flush() {
        for (Map.Entry<Object, Bucket> e : buckets.entrySet()) {
            Bucket b = e.getValue();
            if (b.suppressed > 0) {
                StringBuilder sb = new StringBuilder(96);
                if (e.getKey() instanceof Key k) {
                    sb.append("SUPPRESSED plugin=").append(k.plugin()).append(" dst=");
                    AddressText.append(sb, k.destination());
                } else {
                    MacKey k = (MacKey) e.getKey();
                    sb.append("SUPPRESSED frame plugin=").append(k.plugin).append(" src=")
                            .append(CoreGuestView.format(k.mac));
                }
                sink.line(sb.append(" suppressed=").append(b.suppressed).toString());
                b.suppressed = 0;
            }
        }
    }

    long suppressedTotal() {
        return suppressedTotal.value();
    }

    static StringBuilder format(String action, FlowProtocol proto, InetSocketAddress src, InetSocketAddress dst,
                                InetSocketAddress mapped, String plugin, String reason) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(action).append(" proto=").append(proto.name().toLowerCase(Locale.ROOT)).append(" src=");
        AddressText.append(sb, src).append(" dst=");
        AddressText.append(sb, dst).append(" mapped=");
        AddressText.append(sb, mapped).append(" plugin=").append(plugin).append(" reason=\"");
        appendEscaped(sb, reason);
        return sb.append('"');
    }

    /** Keeps the line one line: quotes, backslashes and control characters escaped, length capped. */
    private static void appendEscaped(StringBuilder sb, String s) {
        int n = Math.min(s.length(), MAX_REASON);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > MAX_REASON) {
            sb.append("...");
        }
    }
}
