package dev.assistant.core.demo;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The random-weights demo models in a local cache directory: written once, then reused. Nothing is downloaded.
 */
public final class DemoModels {
    /** Bump when the generator's output changes, so stale caches are rewritten. */
    static final int FORMAT_VERSION = 1;
    public static final long DEFAULT_SEED = 42;

    private DemoModels() {
    }

    /** {@code $ASSISTANT_CACHE_DIR}, else {@code ~/.cache/assistant-sdk}. */
    public static Path defaultCacheDir() {
        String env = System.getenv("ASSISTANT_CACHE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "assistant-sdk");
    }

    /** The directory of {@code shape}'s demo model under {@code cacheDir}, writing it first if absent. */
    public static Path ensure(Path cacheDir, ModelShape shape, long seed) {
        Path dir = cacheDir.resolve("models").resolve(shape.name() + "-seed" + seed + "-v" + FORMAT_VERSION);
        if (Files.isRegularFile(dir.resolve(".complete"))) {
            return dir;
        }
        try {
            Files.createDirectories(dir.getParent());
            PartialDirectories.removeAbandoned(dir.getParent(), Instant.now());
            Path temp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + PartialDirectories.INFIX);
            try {
                PartialDirectories.claim(temp);
                RandomModelWriter.write(temp, shape, seed);
                Files.writeString(temp.resolve(".complete"), "ok\n");
                try {
                    Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException e) {
                    if (!Files.isRegularFile(dir.resolve(".complete"))) {
                        throw e;
                    } // another process finished first: use its copy
                }
            } finally {
                deleteRecursively(temp);
            }
            return dir;
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot write the demo model under " + cacheDir
                    + ": " + e.getMessage() + " (set ASSISTANT_CACHE_DIR to a writable directory)", e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
