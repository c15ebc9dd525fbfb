package dev.sluice.core;

import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * pasta quits when its namespace goes away (Podman removes the container's namespace
 * and expects pasta to follow). The namespace is named by a path — a bind mount under
 * /run/netns or /run/user/UID/netns, or /proc/PID/ns/net — and that path disappears when
 * the namespace is deleted or its process exits. A stat once a second on the loop finds
 * it: an inotify watch cannot see a /proc entry vanish, and a second is what an
 * operator waits at most.
 */
final class NetnsWatch {
    private static final Logger log = LoggerFactory.getLogger(NetnsWatch.class);
    static final long PERIOD_MS = 1000;

    private NetnsWatch() {
    }

    static void start(EventLoop loop, String path, Runnable quit) {
        // /proc/PID/ns/net of another user's process cannot be stat()ed once Sluice has
        // dropped to nobody; /proc/PID itself can, and goes with the process.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/proc/([0-9]+)/ns/net").matcher(path);
        Path p = m.matches() ? Path.of("/proc", m.group(1)) : Path.of(path);
        loop.scheduleAtFixedRate(new Runnable() {
            private boolean fired;

            @Override
            public void run() {
                if (!fired && !Files.exists(p)) {
                    fired = true;
                    log.info("namespace {} is gone: quitting (--no-netns-quit keeps running)", path);
                    quit.run();
                }
            }
        }, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }
}
