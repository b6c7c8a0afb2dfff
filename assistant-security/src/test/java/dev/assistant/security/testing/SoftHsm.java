package dev.assistant.security.testing;

import dev.assistant.security.key.hsm.Pkcs11Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A SoftHSM2 token created from scratch once per test JVM, under {@code target/softhsm}: a private token
 * directory (so the token is slot list index 0), a user PIN, and non-extractable AES-256 keys made by
 * {@code pkcs11-tool --keygen --sensitive}.
 *
 * <p>{@code SOFTHSM2_CONF} must already be in this JVM's environment (surefire sets it) because the PKCS#11
 * library reads it when loaded; this class writes the file it names before anything loads the library.
 */
public final class SoftHsm {
    public static final String PIN = "4711-test-pin";
    public static final String SO_PIN = "0815-so-pin";
    /** The key-encryption key of the PKCS#11 provider tests. */
    public static final String KEK = "assistant-kek";
    /** A second key, for "sealed under another key" tests. */
    public static final String OTHER_KEK = "other-kek";
    /** The master key of the local KMS server. */
    public static final String KMS_MASTER = "kms-master";
    public static final Path LIBRARY = Pkcs11Config.SOFTHSM2_LIBRARY;

    private static Boolean ready;
    private static String problem;

    private SoftHsm() {
    }

    /** Creates the token on first use; skips (locally) or fails (CI=true) when SoftHSM2 or OpenSC is absent. */
    public static synchronized void require() {
        if (ready == null) {
            problem = setUp();
            ready = problem == null;
        }
        if (!ready) {
            Tools.missing(problem);
        }
    }

    /** A configuration for {@code keyLabel} on the test token. */
    public static Pkcs11Config config(String keyLabel) {
        require();
        return Pkcs11Config.builder().library(LIBRARY).slotListIndex(0).keyLabel(keyLabel)
                .pin(PIN.toCharArray()).build();
    }

    private static String setUp() {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            return "SOFTHSM2_CONF is not set for the test JVM (run the tests through Maven: surefire sets it)";
        }
        if (!Files.isReadable(LIBRARY)) {
            return "SoftHSM2 library " + LIBRARY + " is missing: apt-get install softhsm2";
        }
        Path util = which("softhsm2-util");
        Path tool = which("pkcs11-tool");
        if (util == null || tool == null) {
            return "softhsm2-util or pkcs11-tool not found: apt-get install softhsm2 opensc";
        }
        Path confFile = Path.of(conf);
        Path dir = confFile.getParent();
        Path tokens = dir.resolve("tokens");
        try {
            deleteTree(tokens);
            Files.createDirectories(tokens);
            Files.writeString(confFile, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\nslots.removable = false\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = Map.of("SOFTHSM2_CONF", conf);
        Tools.run(List.of(util.toString(), "--init-token", "--free", "--label", "assistant-test",
                "--so-pin", SO_PIN, "--pin", PIN), env);
        int id = 1;
        for (String label : List.of(KEK, OTHER_KEK, KMS_MASTER)) {
            Tools.run(List.of(tool.toString(), "--module", LIBRARY.toString(), "--token-label", "assistant-test",
                    "--login", "--pin", PIN, "--keygen", "--key-type", "AES:32", "--sensitive",
                    "--label", label, "--id", String.format("%02x", id++)), env);
        }
        return null;
    }

    private static Path which(String name) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name);
            }
        }
        return null;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
