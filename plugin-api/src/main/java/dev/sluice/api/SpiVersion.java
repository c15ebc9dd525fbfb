package dev.sluice.api;

/**
 * The version of this SPI, {@code MAJOR.MINOR.PATCH} under semantic
 * versioning: a plugin built against SPI {@code X.Y.Z} works with every SPI
 * {@code X.y.z} with {@code y.z >= Y.Z}; a new major may break plugins.
 * What changes what:
 * <ul>
 *   <li><b>major</b>: anything a compiled plugin may depend on is removed or
 *       changes meaning (a method, a type, a documented behaviour);</li>
 *   <li><b>minor</b>: additions a plugin may use and that old plugins never
 *       notice (a new type, a new default method, a new option of a view);</li>
 *   <li><b>patch</b>: fixes and documentation.</li>
 * </ul>
 * A plugin jar says which SPI versions it needs in its manifest, as pf4j's
 * descriptor does: {@code Plugin-Requires: >=1.0.0 & <2.0.0}. Sluice refuses a
 * jar whose range excludes {@link #current()} at startup, naming both.
 */
public final class SpiVersion {
    /** Keep equal to the {@code sluice.spi.version} property of the root pom (a test checks it). */
    private static final String CURRENT = "1.0.0";

    private SpiVersion() {
    }

    /**
     * The SPI version of the Sluice running this code. A method rather than a
     * constant: javac would copy a constant into a plugin's class files, where
     * it would keep saying the version the plugin was compiled against.
     */
    public static String current() {
        return CURRENT;
    }

    /** The major version: plugins built for another major are refused. */
    public static int major() {
        return Integer.parseInt(CURRENT.substring(0, CURRENT.indexOf('.')));
    }
}
