package dev.sluice.it;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Long-running peers (HTTP, UDP echo, DNS, iperf3 servers) started in namespaces and stopped together. */
public final class Background implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();

    /** Starts {@code sh -c script} in {@code ns}; output goes to a log file in the work directory. */
    public Process start(String ns, String script) throws Exception {
        Path log = Files.createTempFile(SluiceProcess.workDir(), "bg-", ".log");
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "sh", "-c", "exec " + script)
                .redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        processes.add(p);
        return p;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }
}
