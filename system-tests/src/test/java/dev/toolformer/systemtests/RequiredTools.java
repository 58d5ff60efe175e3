package dev.toolformer.systemtests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Tests that need a program of the machine (Debian's chromium, promtool): on a developer's machine without it the
 * test is skipped; under the {@code ci} Maven profile ({@code -Pci}, what {@code .ci/run} uses), which sets
 * {@value #REQUIRE_PROPERTY}, a missing program fails the test, so CI can never go green by skipping.
 */
public final class RequiredTools {
    static final String REQUIRE_PROPERTY = "toolformer.tests.requireTools";

    private RequiredTools() {
    }

    /** Skips (or, under {@code -Pci}, fails) the test unless every one of {@code programs} is executable. */
    public static void require(String install, Path... programs) {
        boolean present = Arrays.stream(programs).allMatch(Files::isExecutable);
        String message = "needs " + Arrays.toString(programs) + " (" + install + ")";
        if (Boolean.getBoolean(REQUIRE_PROPERTY)) {
            assertTrue(present, message + "; -Pci requires it");
        } else {
            assumeTrue(present, message);
        }
    }
}
