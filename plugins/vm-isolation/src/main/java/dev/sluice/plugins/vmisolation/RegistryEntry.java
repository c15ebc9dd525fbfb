package dev.sluice.plugins.vmisolation;

import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one Sluice instance publishes in the registry: who it is and which
 * host ports lead into its guest. The process is named by its pid together
 * with the process's start time, so that a pid the kernel hands to an
 * unrelated process after the instance died is not mistaken for it; the pid
 * namespace is recorded too, because pids of another namespace mean nothing
 * here.
 *
 * <p>The file is text, one {@code KEY=VALUE} per line, unknown keys ignored:
 * <pre>
 * version=1
 * id=sluice-1234
 * pid=1234
 * start=1718000000120          (epoch milliseconds; absent when unknown)
 * pidns=pid:[4026531836]       (absent when unknown)
 * forward=tcp * 8022           (protocol, listen address or *, PORT or FIRST-LAST)
 * forward=udp 127.0.0.1 5000-5010
 * </pre>
 *
 * @param id           the instance's identifier ({@code InstanceInfo.id()})
 * @param pid          its process id
 * @param startMillis  its process's start time in epoch milliseconds, or -1 when unknown
 * @param pidNamespace its pid namespace ({@code readlink /proc/self/ns/pid}), or null when unknown
 * @param forwards     its inbound forwards
 */
record RegistryEntry(String id, long pid, long startMillis, String pidNamespace, List<PortForward> forwards) {
    static final int VERSION = 1;
    /** Larger files are not registry entries; reading them would only waste the scanner's time. */
    static final int MAX_BYTES = 256 * 1024;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?");

    RegistryEntry {
        Objects.requireNonNull(id, "id");
        forwards = List.copyOf(forwards);
    }

    /** This process, as the instance {@code id} with {@code forwards}. */
    static RegistryEntry self(String id, List<PortForward> forwards) {
        ProcessHandle me = ProcessHandle.current();
        long start = me.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        return new RegistryEntry(id, me.pid(), start, pidNamespace(me.pid()), forwards);
    }

    /** {@code pid:[4026531836]} for the process's pid namespace, or null when /proc does not say. */
    static String pidNamespace(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "pid")).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    String format() {
        StringBuilder sb = new StringBuilder(128);
        sb.append("# Sluice vm-isolation registry entry (docs/plugins/vm-isolation.md)\n");
        sb.append("version=").append(VERSION).append('\n');
        sb.append("id=").append(id.replace('\n', ' ')).append('\n');
        sb.append("pid=").append(pid).append('\n');
        if (startMillis >= 0) {
            sb.append("start=").append(startMillis).append('\n');
        }
        if (pidNamespace != null) {
            sb.append("pidns=").append(pidNamespace).append('\n');
        }
        for (PortForward f : forwards) {
            sb.append("forward=").append(f.protocol().name().toLowerCase(Locale.ROOT)).append(' ')
                    .append(f.address() == null ? "*" : text(f.address())).append(' ')
                    .append(f.firstPort());
            if (f.lastPort() != f.firstPort()) {
                sb.append('-').append(f.lastPort());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Parses a registry file's text. Never resolves names: addresses must be literals.
     *
     * @throws IllegalArgumentException saying what is wrong (for the scanner's warning)
     */
    static RegistryEntry parse(String text) {
        String id = null;
        long pid = -1;
        long start = -1;
        String pidns = null;
        int version = -1;
        List<PortForward> forwards = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("line " + lineNo + ": not KEY=VALUE");
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1).strip();
            switch (key) {
                case "version" -> version = (int) number(value, lineNo, Integer.MAX_VALUE);
                case "id" -> id = value;
                case "pid" -> pid = number(value, lineNo, Long.MAX_VALUE);
                case "start" -> start = number(value, lineNo, Long.MAX_VALUE);
                case "pidns" -> pidns = value.isEmpty() ? null : value;
                case "forward" -> forwards.add(forward(value, lineNo));
                default -> {
                    // a later version's addition: ignore
                }
            }
        }
        if (version != VERSION) {
            throw new IllegalArgumentException(version < 0 ? "no version line" : "unsupported version " + version);
        }
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("no id");
        }
        if (pid <= 0) {
            throw new IllegalArgumentException("no pid");
        }
        return new RegistryEntry(id, pid, start, pidns, forwards);
    }

    private static long number(String value, int lineNo, long max) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("line " + lineNo + ": \"" + value + "\" is not a number");
    }

    private static PortForward forward(String value, int lineNo) {
        String[] parts = value.split("\\s+");
        if (parts.length != 3) {
            throw new IllegalArgumentException("line " + lineNo + ": forward is PROTOCOL ADDRESS|* PORT[-PORT]");
        }
        Protocol proto = switch (parts[0]) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> throw new IllegalArgumentException("line " + lineNo + ": protocol \"" + parts[0] + "\"");
        };
        InetAddress address = parts[1].equals("*") ? null : literal(parts[1], lineNo);
        int dash = parts[2].indexOf('-');
        int first;
        int last;
        if (dash < 0) {
            first = last = (int) number(parts[2], lineNo, 65535);
        } else {
            first = (int) number(parts[2].substring(0, dash), lineNo, 65535);
            last = (int) number(parts[2].substring(dash + 1), lineNo, 65535);
        }
        try {
            return new PortForward(proto, address, first, last);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage());
        }
    }

    /** An address as text, IPv6 in its short form ({@code ::1}, not {@code 0:0:0:0:0:0:0:1}). */
    static String text(InetAddress a) {
        return dev.sluice.api.AddressText.toString(a);
    }

    /** An address literal; anything else is refused rather than looked up (no DNS, ever). */
    static InetAddress literal(String text, int lineNo) {
        try {
            if (text.indexOf(':') < 0) {
                if (!IPV4.matcher(text).matches()) {
                    throw new UnknownHostException(text);
                }
                String[] octets = text.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(octets[i]);
                    if (v > 255) {
                        throw new UnknownHostException(text);
                    }
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            if (!IPV6.matcher(text).matches()) {
                throw new UnknownHostException(text);
            }
            // Starting with a hex digit or ':' and holding a ':', getByName parses it as an
            // IPv6 literal or fails; it never resolves it.
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("line " + lineNo + ": \"" + text + "\" is not an address");
        }
    }
}
