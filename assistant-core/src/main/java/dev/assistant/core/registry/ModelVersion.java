package dev.assistant.core.registry;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Which version of a model's files an assistant was loaded from: {@code sha256:} and the first 12 hex digits of a
 * SHA-256 over the model's files (their names and contents, in name order), so two loads of identical files have
 * the same version and any changed byte gives another.
 *
 * <p>When the directory has a {@code checksums.sha256} manifest (which loading verifies against the files), the
 * digest is taken over the manifest alone: it already names every file's digest, and hashing it costs nothing
 * where hashing gigabytes of weights would cost seconds.
 *
 * @param id   the version id, e.g. {@code sha256:3f2a9c01b7de}
 * @param path the directory or file it was computed from
 */
public record ModelVersion(String id, Path path) {
    private static final String MANIFEST = "checksums.sha256";
    private static final int SHOWN_HEX_DIGITS = 12;

    public ModelVersion {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(path, "path");
    }

    /**
     * The version of the model at {@code path} (a model directory or a single model file).
     *
     * @throws AssistantException {@code MODEL_NOT_FOUND} when nothing is there, {@code MODEL_INVALID} when it
     *                            cannot be read
     */
    public static ModelVersion of(Path path) {
        if (!Files.exists(path)) {
            throw new AssistantException(ErrorCode.MODEL_NOT_FOUND, "model not found: " + path);
        }
        MessageDigest sha = sha256();
        try {
            Path manifest = path.resolve(MANIFEST);
            if (Files.isDirectory(path) && Files.isRegularFile(manifest)) {
                digestFile(sha, manifest);
            } else {
                for (Path file : filesOf(path)) {
                    sha.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    sha.update((byte) 0);
                    digestFile(sha, file);
                }
            }
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read " + path + " to compute its version: "
                    + e.getMessage(), e);
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        return new ModelVersion("sha256:" + hex.substring(0, SHOWN_HEX_DIGITS), path);
    }

    private static List<Path> filesOf(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> entries = Files.list(path)) {
            return entries.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static void digestFile(MessageDigest sha, Path file) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
