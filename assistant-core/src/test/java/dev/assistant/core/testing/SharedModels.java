package dev.assistant.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the shared test data directory ({@code shared/}, with {@code models/...}) for tests that need real model
 * or tokenizer files.
 *
 * <p>Lookup: system property {@code assistant.shared.dir} (the root pom sets it to
 * {@code ${maven.multiModuleProjectDirectory}/../shared}); else {@code ../shared} next to the project root (the
 * top-most ancestor of the working directory that has a {@code pom.xml}). When the data is missing the calling test
 * is skipped (JUnit assumption) with a message, except when the environment has {@code CI=true}: then missing data
 * is a failure, so CI can never pass by skipping.
 */
public final class SharedModels {
    public static final String PROPERTY = "assistant.shared.dir";

    private SharedModels() {
    }

    /** The shared directory; skips (or fails on CI) when absent. */
    public static Path root() {
        Path root = locate();
        if (root == null) {
            missing("shared test data directory not found (set -D" + PROPERTY + "=/path/to/shared)");
        }
        return root;
    }

    /** {@code <shared>/models/<relative>} (e.g. {@code "stories260K"}, {@code "tokenizers/gpt2"}); skips when absent. */
    public static Path model(String relative) {
        Path dir = root().resolve("models").resolve(relative);
        if (!Files.isDirectory(dir)) {
            missing("shared model directory not found: " + dir);
        }
        return dir;
    }

    /** The shared directory, or null when it cannot be found (never skips). */
    public static Path locate() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank() && !property.contains("${")) {
            Path p = Paths.get(property).toAbsolutePath().normalize();
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        Path projectRoot = projectRoot();
        if (projectRoot != null) {
            Path p = projectRoot.resolve("../shared").toAbsolutePath().normalize();
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    private static Path projectRoot() {
        Path dir = Paths.get("").toAbsolutePath();
        Path root = null;
        while (dir != null && Files.isRegularFile(dir.resolve("pom.xml"))) {
            root = dir;
            dir = dir.getParent();
        }
        return root;
    }

    private static void missing(String message) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(message + " — required when CI=true");
        }
        Assumptions.abort(message + " — skipping");
    }
}
