package dev.assistant.security.key;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the HSM and KMS providers find sealed secrets. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface SealedSecretSource {
    /** The JSON form of the sealed secret for {@code reference}, or empty if there is none. */
    Optional<String> find(KeyReference reference);

    /**
     * A directory laid out as {@code <dir>/<env>/<keyId>.json}, e.g. {@code secrets/prod/svc-a.json}.
     * Files hold only ciphertext and metadata.
     */
    static SealedSecretSource directory(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return reference -> {
            Path file = file(dir, reference);
            try {
                return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new KeyProviderException(KeyProviderException.Failure.UNAVAILABLE,
                        "cannot read sealed secret " + file + ": " + e.getClass().getSimpleName());
            }
        };
    }

    /** The file {@link #directory} reads for {@code reference}. */
    static Path file(Path dir, KeyReference reference) {
        return dir.resolve(reference.environment().id()).resolve(reference.keyId() + ".json");
    }

    /** Writes {@code sealed} where {@link #directory(Path)} finds it (atomically replacing an older file). */
    static Path write(Path dir, SealedSecret sealed) {
        Path file = file(dir, sealed.reference());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".sealed", ".tmp");
            Files.writeString(tmp, sealed.toJson() + "\n", StandardCharsets.UTF_8);
            return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write sealed secret " + file, e);
        }
    }

    /** An in-memory source keyed by reference (configuration embedded in the host, tests). */
    static SealedSecretSource of(Map<KeyReference, String> sealed) {
        Map<KeyReference, String> copy = Map.copyOf(sealed);
        return reference -> Optional.ofNullable(copy.get(reference));
    }
}
