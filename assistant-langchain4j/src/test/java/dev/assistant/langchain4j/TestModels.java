package dev.assistant.langchain4j;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the shared test models (as assistant-core's {@code SharedModels}, which other modules cannot see): system
 * property {@code assistant.shared.dir}, else {@code ../shared} beside the project root. Missing data skips the
 * test, except with {@code CI=true}, where it fails, so CI can never pass by skipping.
 */
final class TestModels {
    private TestModels() {
    }

    static Path model(String name) {
        Path root = locate();
        Path dir = root == null ? null : root.resolve("models").resolve(name);
        if (dir == null || !Files.isDirectory(dir)) {
            String message = "shared model not found: " + name + " (set -Dassistant.shared.dir=/path/to/shared)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + " — required when CI=true");
            }
            Assumptions.abort(message + " — skipping");
        }
        return dir;
    }

    private static Path locate() {
        String property = System.getProperty("assistant.shared.dir");
        if (property != null && !property.isBlank() && !property.contains("${")) {
            Path p = Paths.get(property).toAbsolutePath().normalize();
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        Path dir = Paths.get("").toAbsolutePath();
        Path root = null;
        while (dir != null && Files.isRegularFile(dir.resolve("pom.xml"))) {
            root = dir;
            dir = dir.getParent();
        }
        if (root != null && Files.isDirectory(root.resolve("../shared"))) {
            return root.resolve("../shared").normalize();
        }
        return null;
    }
}
