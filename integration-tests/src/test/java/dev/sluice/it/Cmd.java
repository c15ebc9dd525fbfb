package dev.sluice.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command with a hard time limit and captures its output. */
public final class Cmd {
    private Cmd() {
    }

    /** Result of a finished command. */
    public record Result(List<String> argv, int exit, String out) {
        public Result ok() {
            if (exit != 0) {
                throw new AssertionError("command failed (exit " + exit + "): " + String.join(" ", argv) + "\n" + out);
            }
            return this;
        }
    }

    public static Result run(int timeoutSeconds, String... argv) {
        return run(timeoutSeconds, Arrays.asList(argv));
    }

    public static Result run(int timeoutSeconds, List<String> argv) {
        try {
            Path outFile = Files.createTempFile("sluice-it-cmd", ".out");
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                        .redirectOutput(outFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
                boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (!done) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
                String out = Files.readString(outFile, StandardCharsets.UTF_8);
                return new Result(List.copyOf(argv), done ? p.exitValue() : -999, out);
            } finally {
                Files.deleteIfExists(outFile);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + argv + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** {@code ip netns exec NS argv...}. */
    public static Result inNs(String ns, int timeoutSeconds, String... argv) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(Arrays.asList(argv));
        return run(timeoutSeconds, all);
    }

    /** Runs a shell snippet inside a namespace. */
    public static Result shIn(String ns, int timeoutSeconds, String script) {
        return inNs(ns, timeoutSeconds, "sh", "-c", script);
    }

    /** True when the program is on the PATH. */
    public static boolean has(String program) {
        return run(10, "sh", "-c", "command -v " + program).exit() == 0;
    }
}
