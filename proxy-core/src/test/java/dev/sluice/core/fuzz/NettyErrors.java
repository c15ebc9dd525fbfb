package dev.sluice.core.fuzz;

import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's own reports of what went wrong off the caller's stack: an exception
 * thrown by a task or handler on the event loop (netty logs it and carries on)
 * and a buffer leak from the leak detector. Every netty logger created after
 * {@link #install()} still logs through slf4j and also records such lines, so
 * the harness can fail on them. Loggers created before (another test in the
 * same JVM touched netty first) are not seen: bench/fuzz.sh runs the fuzz test
 * in a JVM of its own.
 */
final class NettyErrors {
    private static final List<String> seen = new ArrayList<>();
    private static volatile boolean installed;

    private NettyErrors() {
    }

    static synchronized void install() {
        if (installed) {
            return;
        }
        Slf4j delegate = new Slf4j();
        InternalLoggerFactory.setDefaultFactory(new InternalLoggerFactory() {
            @Override
            protected InternalLogger newInstance(String name) {
                InternalLogger real = delegate.make(name);
                return (InternalLogger) Proxy.newProxyInstance(InternalLogger.class.getClassLoader(),
                        new Class<?>[] {InternalLogger.class}, (p, m, args) -> {
                            String n = m.getName();
                            if ((n.equals("warn") || n.equals("error")) && args != null) {
                                record(name, n, args);
                            }
                            return m.invoke(real, args);
                        });
            }
        });
        installed = true;
    }

    private static void record(String logger, String level, Object[] args) {
        Throwable t = null;
        StringBuilder text = new StringBuilder();
        for (Object a : args) {
            if (a instanceof Throwable th) {
                t = th;
            } else if (a != null) {
                text.append(a).append(' ');
            }
        }
        String s = text.toString();
        if (t != null || s.contains("LEAK")) {
            synchronized (NettyErrors.class) {
                seen.add(level + " " + logger + ": " + s + (t != null ? " " + t : ""));
            }
        }
    }

    /** Netty's slf4j binding, its factory method made reachable. */
    @SuppressWarnings("deprecation")
    private static final class Slf4j extends Slf4JLoggerFactory {
        InternalLogger make(String name) {
            return newInstance(name);
        }
    }

    /** What was recorded since the last call. */
    static synchronized List<String> take() {
        List<String> l = new ArrayList<>(seen);
        seen.clear();
        return l;
    }
}
