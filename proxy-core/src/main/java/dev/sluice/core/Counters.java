package dev.sluice.core;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Named event counters (drops, malformed frames, refused flows...). Each
 * counter is looked up once at setup and then incremented from the event loop
 * only, so increments are plain field writes; readers on other threads (stats
 * dumps) may see slightly stale values, which is fine for counters.
 */
public final class Counters {
    private final Map<String, Counter> byName = new ConcurrentHashMap<>();

    /** The counter with this name, created at zero on first use. Call at setup, keep the result. */
    public Counter get(String name) {
        return byName.computeIfAbsent(name, Counter::new);
    }

    /** Current values, sorted by name; counters still at zero are left out. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        byName.forEach((k, v) -> {
            if (v.value() != 0) {
                out.put(k, v.value());
            }
        });
        return out;
    }

    /** One counter. Not thread-safe on purpose: only its owning event loop increments it. */
    public static final class Counter {
        private final String name;
        private volatile long value;

        Counter(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        @SuppressWarnings("NonAtomicOperationOnVolatileField") // single writer: the event loop
        public void inc() {
            value = value + 1;
        }

        @SuppressWarnings("NonAtomicOperationOnVolatileField")
        public void add(long n) {
            value = value + n;
        }

        public long value() {
            return value;
        }
    }
}
