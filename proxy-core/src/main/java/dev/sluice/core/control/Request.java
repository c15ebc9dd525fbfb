package dev.sluice.core.control;

import java.util.List;

/**
 * One request line of the control protocol (docs/operations.md):
 * <pre>
 * status [json]
 * flows [tcp|udp|icmp] [json]
 * audit follow [json]
 * metrics
 * </pre>
 * Words are separated by spaces; the line ends with LF and is at most
 * {@link #MAX_LENGTH} bytes. Anything else is answered with one line
 * {@code error: ...} and the connection is closed.
 *
 * @param kind  what is asked
 * @param proto {@code flows}: the protocol to list, or null for all
 * @param json  JSON (one object per line) instead of text
 */
record Request(Kind kind, String proto, boolean json) {
    static final int MAX_LENGTH = 256;
    static final String USAGE = "expected: status [json] | flows [tcp|udp|icmp] [json] | audit follow [json] | metrics";

    enum Kind { STATUS, FLOWS, AUDIT, METRICS }

    /** The wire form. */
    String line() {
        return switch (kind) {
            case STATUS -> "status" + (json ? " json" : "");
            case FLOWS -> "flows" + (proto != null ? " " + proto : "") + (json ? " json" : "");
            case AUDIT -> "audit follow" + (json ? " json" : "");
            case METRICS -> "metrics";
        };
    }

    /** @throws IllegalArgumentException with the message of the error line */
    static Request parse(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("request contains a control or non-ASCII character; " + USAGE);
            }
        }
        List<String> w = List.of(line.trim().split(" +"));
        if (w.isEmpty() || w.get(0).isEmpty()) {
            throw new IllegalArgumentException("empty request; " + USAGE);
        }
        boolean json = w.size() > 1 && w.get(w.size() - 1).equals("json");
        List<String> args = w.subList(1, json ? w.size() - 1 : w.size());
        switch (w.get(0)) {
            case "status":
                if (args.isEmpty()) {
                    return new Request(Kind.STATUS, null, json);
                }
                break;
            case "flows":
                if (args.isEmpty()) {
                    return new Request(Kind.FLOWS, null, json);
                }
                if (args.size() == 1 && List.of("tcp", "udp", "icmp").contains(args.get(0))) {
                    return new Request(Kind.FLOWS, args.get(0), json);
                }
                break;
            case "audit":
                if (args.size() == 1 && args.get(0).equals("follow")) {
                    return new Request(Kind.AUDIT, null, json);
                }
                break;
            case "metrics":
                if (args.isEmpty() && !json) {
                    return new Request(Kind.METRICS, null, false);
                }
                break;
            default:
                break;
        }
        String shown = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        throw new IllegalArgumentException("bad request \"" + shown + "\"; " + USAGE);
    }
}
