package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An optional checksum manifest in a model directory, in the format of {@code sha256sum}/{@code md5sum}
 * ({@code <hex>  <file name>} per line): {@code checksums.sha256} (preferred) or {@code checksums.md5}.
 * Verification names the first file whose digest does not match.
 */
public final class ChecksumManifest {
    public static final String SHA256_FILE = "checksums.sha256";
    public static final String MD5_FILE = "checksums.md5";

    private final Path manifest;
    private final String algorithm;
    private final Map<String, String> expected;

    private ChecksumManifest(Path manifest, String algorithm, Map<String, String> expected) {
        this.manifest = manifest;
        this.algorithm = algorithm;
        this.expected = expected;
    }

    /** The manifest of {@code dir}, if it has one. */
    public static Optional<ChecksumManifest> find(Path dir) {
        for (String[] candidate : List.of(new String[]{SHA256_FILE, "SHA-256"}, new String[]{MD5_FILE, "MD5"})) {
            Path file = dir.resolve(candidate[0]);
            if (Files.isRegularFile(file)) {
                return Optional.of(parse(file, candidate[1]));
            }
        }
        return Optional.empty();
    }

    private static ChecksumManifest parse(Path file, String algorithm) {
        int hexLength = algorithm.equals("MD5") ? 32 : 64;
        Map<String, String> expected = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read checksum manifest " + file, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+\\*?", 2);
            if (parts.length != 2 || parts[0].length() != hexLength || !parts[0].matches("[0-9a-fA-F]+")
                    || !plainFileName(parts[1].strip())) {
                throw new AssistantException(ErrorCode.MODEL_INVALID, "checksum manifest " + file + " line " + (i + 1)
                        + " is not '<" + algorithm + " hex>  <file name>'");
            }
            expected.put(parts[1].strip(), parts[0].toLowerCase());
        }
        return new ChecksumManifest(file, algorithm, expected);
    }

    /** A name inside the model directory: no separators, no parent, no control characters (NUL ends paths). */
    private static boolean plainFileName(String name) {
        return !name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.contains("..")
                && name.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }

    public String algorithm() {
        return algorithm;
    }

    public Map<String, String> expected() {
        return expected;
    }

    /**
     * Hashes each listed file and compares.
     *
     * @throws AssistantException {@code MODEL_CORRUPTED} naming the file whose digest differs or that is missing
     */
    public void verify() {
        Path dir = manifest.getParent();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path file = dir.resolve(e.getKey());
            String actual;
            try {
                actual = digest(file, algorithm);
            } catch (IOException ex) {
                throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "file " + file + " listed in " + manifest
                        + " cannot be read: " + ex.getMessage(), ex);
            }
            if (!actual.equals(e.getValue())) {
                throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "checksum mismatch for " + file + ": " + algorithm
                        + " is " + actual + " but " + manifest.getFileName() + " expects " + e.getValue());
            }
        }
    }

    /** The hex digest of {@code file}. */
    public static String digest(Path file, String algorithm) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
