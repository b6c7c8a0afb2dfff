package dev.assistant.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A SoftHSM2 token created from scratch once per test JVM under {@code target/softhsm} (the approach of the
 * assistant-security tests): private token directory (slot list index 0), the PIN surefire also puts in
 * {@code ASSISTANT_CLI_TEST_PIN}, and a non-extractable AES-256 key. Skips when SoftHSM2/OpenSC are absent, unless
 * {@code CI=true}, where that fails.
 */
final class TestSoftHsm {
    static final String PIN_ENV = "ASSISTANT_CLI_TEST_PIN";
    static final String KEK = "cli-kek";
    static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

    private static String problem;
    private static boolean done;

    private TestSoftHsm() {
    }

    static synchronized void require() {
        if (!done) {
            problem = setUp();
            done = true;
        }
        if (problem != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(problem + " (CI=true: required)");
            }
            Assumptions.abort(problem + " (test skipped; set CI=true to make this a failure)");
        }
    }

    private static String setUp() {
        String conf = System.getenv("SOFTHSM2_CONF");
        String pin = System.getenv(PIN_ENV);
        if (conf == null || pin == null) {
            return "SOFTHSM2_CONF or " + PIN_ENV + " is not set for the test JVM (run the tests through Maven)";
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
        Path tokens = confFile.getParent().resolve("tokens");
        try {
            deleteTree(tokens);
            Files.createDirectories(tokens);
            Files.writeString(confFile, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\nslots.removable = false\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(List.of(util.toString(), "--init-token", "--free", "--label", "assistant-cli-test",
                "--so-pin", "0815-so-pin", "--pin", pin), conf);
        run(List.of(tool.toString(), "--module", LIBRARY.toString(), "--token-label", "assistant-cli-test",
                "--login", "--pin", pin, "--keygen", "--key-type", "AES:32", "--sensitive",
                "--label", KEK, "--id", "01"), conf);
        return null;
    }

    private static void run(List<String> command, String conf) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("SOFTHSM2_CONF", conf);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
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
