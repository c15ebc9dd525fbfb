package dev.sluice.it;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What an integration test needs (root, iproute2, QEMU, man): on a developer's
 * machine without it the test is skipped; under CI ({@code CI=true}) a missing
 * prerequisite is a failure, since a skipped data-path test is a hole.
 */
public final class Prerequisites {
    private Prerequisites() {
    }

    public static void require(boolean present, String what) {
        if (ciMode()) {
            Assertions.assertTrue(present, "CI=true, but this test's prerequisite is missing: " + what);
        } else {
            Assumptions.assumeTrue(present, what);
        }
    }

    static boolean ciMode() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
