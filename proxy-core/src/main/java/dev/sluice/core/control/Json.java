package dev.sluice.core.control;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A minimal JSON writer for the control socket's answers: one object built
 * field by field into a {@link StringBuilder}, strings escaped per RFC 8259.
 * Writing only; the client never parses JSON (it prints what it gets).
 */
final class Json {
    private final StringBuilder sb;
    private boolean first = true;

    private Json(StringBuilder sb) {
        this.sb = sb;
        sb.append('{');
    }

    static Json object() {
        return new Json(new StringBuilder(256));
    }

    private StringBuilder key(String k) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        quote(sb, k);
        return sb.append(':');
    }

    Json put(String k, String v) {
        if (v == null) {
            key(k).append("null");
        } else {
            quote(key(k), v);
        }
        return this;
    }

    Json put(String k, long v) {
        key(k).append(v);
        return this;
    }

    Json put(String k, double v) {
        key(k).append(Double.isFinite(v) ? Double.toString(v) : "null");
        return this;
    }

    Json put(String k, boolean v) {
        key(k).append(v);
        return this;
    }

    Json put(String k, InetSocketAddress a) {
        return put(k, a == null ? null : Render.addr(a));
    }

    Json put(String k, InetAddress a) {
        return put(k, a == null ? null : dev.sluice.api.AddressText.toString(a));
    }

    /** {@code v} is already JSON (an array or object this class or {@link #array} made). */
    Json raw(String k, String v) {
        key(k).append(v);
        return this;
    }

    /** A JSON array of already rendered JSON values. */
    static String array(Iterable<String> values) {
        StringBuilder a = new StringBuilder("[");
        boolean f = true;
        for (String v : values) {
            if (!f) {
                a.append(',');
            }
            f = false;
            a.append(v);
        }
        return a.append(']').toString();
    }

    /** A JSON string. */
    static String string(String s) {
        return quote(new StringBuilder(s.length() + 2), s).toString();
    }

    @Override
    public String toString() {
        return sb + "}";
    }

    static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }
}
