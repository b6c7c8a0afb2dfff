package dev.assistant.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Independent NumPy forward passes ({@code qwen3_reference.py}, {@code gemma2_reference.py}, {@code gemma3_reference.py}, {@code phi3_reference.py}: float64, the whole
 * sequence recomputed every step, written from HuggingFace's modeling code) run through {@code python3}, which needs
 * NumPy.
 */
public final class NumpyReference {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SCRIPTS = {"qwen3_reference.py", "gemma2_reference.py", "gemma3_reference.py",
        "phi3_reference.py"};

    private NumpyReference() {
    }

    /** What a reference computed: the last-position logits of each step and the greedy tokens. */
    public record Result(float[][] logits, int[] tokens) {
    }

    /** Runs {@code script} on the model in {@code dir}: logits for {@code prompt} and after each of {@code steps} greedy tokens. */
    public static Result run(String script, Path dir, int[] prompt, int steps, Path scratch)
            throws IOException, InterruptedException {
        for (String name : SCRIPTS) {
            Path file = scratch.resolve(name);
            if (!Files.exists(file)) {
                try (InputStream in = NumpyReference.class.getResourceAsStream(name)) {
                    Files.copy(in, file);
                }
            }
        }
        String ids = Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Process p = new ProcessBuilder("python3", scratch.resolve(script).toString(), dir.toString(), ids,
                Integer.toString(steps)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("the python3 NumPy reference failed (is NumPy installed?): "
                    + new String(out, StandardCharsets.UTF_8));
        }
        JsonNode root = JSON.readTree(out);
        float[][] logits = new float[root.get("logits").size()][];
        for (int s = 0; s < logits.length; s++) {
            JsonNode row = root.get("logits").get(s);
            logits[s] = new float[row.size()];
            for (int i = 0; i < row.size(); i++) {
                logits[s][i] = (float) row.get(i).asDouble();
            }
        }
        int[] tokens = new int[root.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = root.get("tokens").get(i).asInt();
        }
        return new Result(logits, tokens);
    }
}
