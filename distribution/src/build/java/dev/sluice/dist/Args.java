package dev.sluice.dist;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --key=value} arguments of a build tool (the pom writes them; no need
 * for picocli here). One word each, so an empty value ({@code -Dsluice.plugins=})
 * stays an argument of its own rather than vanishing from the pom's list.
 */
final class Args {
    private Args() {
    }

    static Map<String, String> parse(String[] args, List<String> required, List<String> optional) {
        Map<String, String> out = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String key = eq < 0 ? arg : arg.substring(0, eq);
            if (!required.contains(key) && !optional.contains(key)) {
                throw new IllegalArgumentException("unknown argument " + arg + "; expected " + required + " " + optional);
            }
            if (eq < 0) {
                throw new IllegalArgumentException("argument " + key + " needs a value: " + key + "=VALUE");
            }
            out.put(key, arg.substring(eq + 1));
        }
        for (String key : required) {
            if (!out.containsKey(key)) {
                throw new IllegalArgumentException("missing argument " + key);
            }
        }
        return out;
    }
}
