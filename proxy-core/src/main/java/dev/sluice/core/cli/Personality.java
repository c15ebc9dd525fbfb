package dev.sluice.core.cli;

import java.util.Locale;

/**
 * The name Sluice was started under, as passt tells itself from pasta by argv[0]:
 * {@code bin/passt} and {@code bin/pasta} are links to the launcher, which passes the
 * name it was invoked as in the system property {@code sluice.invokedAs}.
 * <ul>
 *   <li>{@link #SLUICE}: stream mode by default, stays in the foreground.</li>
 *   <li>{@link #PASST}: as {@code sluice}, but goes to the background once ready (passt's
 *       default; {@code -f} keeps it in the foreground).</li>
 *   <li>{@link #PASTA}: tap mode in a namespace ({@code --netns} or a PID argument), goes
 *       to the background once ready.</li>
 * </ul>
 */
public enum Personality {
    SLUICE, PASST, PASTA;

    /** From the launcher's property; anything unknown (or unset, as in tests) is sluice. */
    public static Personality current() {
        return of(System.getProperty("sluice.invokedAs"));
    }

    static Personality of(String invokedAs) {
        if (invokedAs == null) {
            return SLUICE;
        }
        String base = invokedAs.substring(invokedAs.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        // Distros install versioned or suffixed names (pasta.avx2, passt-sluice): go by the prefix.
        if (base.startsWith("pasta")) {
            return PASTA;
        }
        if (base.startsWith("passt")) {
            return PASST;
        }
        return SLUICE;
    }

    /** The command's name in messages: "pasta: ...". */
    public String command() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** passt and pasta fork to the background once ready; sluice stays where it was started. */
    public boolean backgroundByDefault() {
        return this != SLUICE;
    }
}
