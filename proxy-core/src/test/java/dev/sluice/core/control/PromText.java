package dev.sluice.core.control;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format, enough to check
 * what Sluice writes: every line is a {@code # HELP}/{@code # TYPE} comment or
 * a sample {@code name{labels} value}; each family has one HELP and one TYPE,
 * given before its first sample; samples of a family are contiguous; label
 * values are properly escaped; values are numbers. Throws on the first fault.
 * Public, and shipped in proxy-core's test jar, for the end-to-end tests too.
 */
public final class PromText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    /** Samples by {@code name{labels}} as written. */
    public static Map<String, Double> parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        Set<String> helps = new HashSet<>();
        Set<String> closed = new HashSet<>();
        String current = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                if (n != text.split("\n", -1).length) {
                    throw new IllegalArgumentException("line " + n + ": empty line");
                }
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String[] p = line.split(" ", 4);
                if (p.length < 4 || !NAME.matcher(p[2]).matches()) {
                    throw new IllegalArgumentException("line " + n + ": bad comment: " + line);
                }
                if (line.startsWith("# HELP ") && !helps.add(p[2])) {
                    throw new IllegalArgumentException("line " + n + ": second HELP for " + p[2]);
                }
                if (line.startsWith("# TYPE ")) {
                    if (!Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(p[3])) {
                        throw new IllegalArgumentException("line " + n + ": bad type " + p[3]);
                    }
                    if (types.put(p[2], p[3]) != null) {
                        throw new IllegalArgumentException("line " + n + ": second TYPE for " + p[2]);
                    }
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + n + ": not a sample: " + line);
            }
            String name = m.group(1);
            if (!types.containsKey(name) || !helps.contains(name)) {
                throw new IllegalArgumentException("line " + n + ": sample of " + name + " before its HELP and TYPE");
            }
            if (!name.equals(current)) {
                if (current != null) {
                    closed.add(current);
                }
                if (closed.contains(name)) {
                    throw new IllegalArgumentException("line " + n + ": samples of " + name + " not contiguous");
                }
                current = name;
            }
            if (types.get(name).equals("counter") && !name.endsWith("_total")) {
                throw new IllegalArgumentException("line " + n + ": counter " + name + " should end in _total");
            }
            if (m.group(3) != null) {
                String labels = m.group(3);
                Matcher lm = LABEL.matcher(labels);
                int at = 0;
                while (at < labels.length()) {
                    if (!lm.find(at) || lm.start() != at) {
                        throw new IllegalArgumentException("line " + n + ": bad labels: " + labels);
                    }
                    at = lm.end();
                }
            }
            double v;
            try {
                v = Double.parseDouble(m.group(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line " + n + ": bad value: " + line);
            }
            String key = name + (m.group(2) != null ? m.group(2) : "");
            if (out.put(key, v) != null) {
                throw new IllegalArgumentException("line " + n + ": duplicate sample " + key);
            }
        }
        for (String t : types.keySet()) {
            if (!helps.contains(t)) {
                throw new IllegalArgumentException("TYPE without HELP: " + t);
            }
        }
        return out;
    }
}
