package dev.assistant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installable archive (target/assistant-VERSION.tar.gz) runs on its own: unpacked into a temporary directory
 * outside the repository, its bin/assistant launcher answers a golden generation on the shared reference model.
 */
class CliArchiveIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path install;

    @Test
    void theUnpackedArchiveGeneratesTheGoldenContinuationFromAnotherDirectory() throws Exception {
        Path archive = Path.of(System.getProperty("assistant.archive"));
        assertThat(archive).exists();
        assertThat(install.toAbsolutePath().startsWith(Path.of("").toAbsolutePath().getParent())).isFalse();
        assertThat(exec(install, List.of("tar", "xzf", archive.toString())).exit).isZero();
        Path home;
        try (Stream<Path> dirs = Files.list(install)) {
            home = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertThat(home.getFileName().toString()).startsWith("assistant-");
        assertThat(home.resolve("bin/assistant")).isExecutable();
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("assistant-cli"))
                    .anyMatch(n -> n.startsWith("assistant-core-")).allMatch(n -> n.endsWith(".jar"));
        }

        Path model = AssistantCliTest.shared("stories260K");
        JsonNode golden = JSON.readTree(model.resolve("reference/golden.json").toFile()).get("cases").get(0);
        StringBuilder ids = new StringBuilder();
        golden.get("input_ids").forEach(id -> ids.append(ids.length() == 0 ? "" : ",").append(id.asInt()));
        Result r = exec(install, List.of(home.resolve("bin/assistant").toString(), "generate", "--model",
                model.toAbsolutePath().toString(), "--input-ids", ids.toString(), "--max-new-tokens",
                String.valueOf(golden.get("greedy_new_ids").size()), "--no-stop", "--device", "cpu", "--json"));
        assertThat(r.exit).as(r.output).isZero();
        String last = r.output.strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(JSON.readTree(last).get("output_ids")).isEqualTo(golden.get("greedy_new_ids"));
    }

    /** Exit code and standard output; standard error is appended after a marker line, for failure messages. */
    private record Result(int exit, String output) {
    }

    private static Result exec(Path dir, List<String> command) throws IOException, InterruptedException {
        Path err = Files.createTempFile(dir, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile())
                .redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        String stdout = new String(out, StandardCharsets.UTF_8);
        return new Result(p.exitValue(), p.exitValue() == 0 ? stdout
                : stdout + "\n--- stderr ---\n" + Files.readString(err));
    }
}
