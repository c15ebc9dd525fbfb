package dev.sluice.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The credential lines of /proc/PID/status and of every thread in /proc/PID/task. */
final class ProcStatus {
    private ProcStatus() {
    }

    static Map<String, String> read(Path status) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
            int c = l.indexOf(':');
            if (c > 0) {
                out.put(l.substring(0, c), l.substring(c + 1).trim().replaceAll("\\s+", " "));
            }
        }
        return out;
    }

    /** /proc/PID/status first, then each thread's. */
    static List<Map<String, String>> allThreads(long pid) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(read(Path.of("/proc/" + pid + "/status")));
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    out.add(read(t.resolve("status")));
                } catch (NoSuchFileException e) {
                    // a thread that ended meanwhile
                }
            }
        }
        return out;
    }
}
