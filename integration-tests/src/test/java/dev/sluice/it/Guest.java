package dev.sluice.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What a guest namespace does with real clients: udhcpc, dhclient -6, kernel SLAAC. */
public final class Guest {
    private Guest() {
    }

    /**
     * Runs busybox udhcpc once on {@code ifName} in {@code ns} and returns the
     * variables its script saw on "bound" (ip, subnet, router, dns, mtu, domain, search, ...).
     */
    public static Map<String, String> udhcpc(String ns, String ifName) throws IOException {
        Path dir = SluiceProcess.workDir();
        Path out = Files.createTempFile(dir, "udhcpc-", ".env");
        Path script = Files.createTempFile(dir, "udhcpc-", ".sh");
        Files.writeString(script, "#!/bin/sh\n"
                + "if [ \"$1\" = bound ]; then env > " + out + "; fi\n"
                + "exit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Cmd.Result r = Cmd.inNs(ns, 40, "busybox", "udhcpc", "-i", ifName, "-f", "-q", "-n",
                    "-t", "6", "-T", "2", "-A", "1", "-O", "mtu", "-O", "search", "-O", "domain", "-O", "hostname", "-s", script.toString());
            Map<String, String> env = new HashMap<>();
            for (String line : Files.readAllLines(out)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            if (env.isEmpty()) {
                throw new AssertionError("udhcpc got no lease (exit " + r.exit() + "):\n" + r.out());
            }
            return env;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(script);
        }
    }

    /** Polls a shell condition in a namespace until it succeeds or {@code seconds} pass. */
    public static boolean await(String ns, int seconds, String condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Cmd.shIn(ns, 10, condition).exit() == 0) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }
}
