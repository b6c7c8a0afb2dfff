package dev.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI contract used by checks outside the unit tests. */
class AssistantCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = AssistantCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }

    static Path shared(String model) {
        String dir = System.getProperty("assistant.shared.dir");
        Path p = dir == null ? Path.of("../../shared") : Path.of(dir);
        Path m = p.resolve("models").resolve(model);
        if (!Files.isDirectory(m)) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("shared models missing under CI: " + m);
            }
            org.junit.jupiter.api.Assumptions.abort("shared models not found at " + m);
        }
        return m;
    }

    @Test
    void generateJsonPrintsOneLineMatchingTheGoldenContinuationAndWritesLogits() throws Exception {
        Path model = shared("tinystories-gpt2-mini");
        JsonNode c = JSON.readTree(model.resolve("reference/golden.json").toFile()).get("cases").get(1);
        StringBuilder ids = new StringBuilder();
        c.get("input_ids").forEach(id -> ids.append(ids.length() == 0 ? "" : ",").append(id.asInt()));
        Path npy = temp.resolve("logits.npy");
        Result r = run("generate", "--model", model.toString(), "--input-ids", ids.toString(), "--max-new-tokens", "32",
                "--no-stop", "--device", "cpu", "--logits-out", npy.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).doesNotContain("\n");
        JsonNode json = JSON.readTree(r.out());
        assertThat(json.get("input_ids")).isEqualTo(c.get("input_ids"));
        assertThat(json.get("output_ids")).isEqualTo(c.get("greedy_new_ids"));
        assertThat(json.get("text").asText()).isNotEmpty();
        assertThat(json.get("usage").get("completion_tokens").asInt()).isEqualTo(32);
        assertThat(json.get("usage").get("finish_reason").asText()).isEqualTo("length");

        byte[] bytes = Files.readAllBytes(npy);
        int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertThat(new String(bytes, 10, headerLength)).contains("'<f4'").contains("(1024,)");
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        JsonNode expected = c.get("last_logits");
        for (int i = 0; i < expected.size(); i++) {
            assertThat((double) data.getFloat()).isCloseTo(expected.get(i).asDouble(), org.assertj.core.api.Assertions.within(1e-4));
        }
    }

    @Test
    void promptIsTokenizedWithSpecialTokensByDefault() throws Exception {
        Path model = shared("stories260K");
        Result r = run("generate", "--model", model.toString(), "--prompt", "Once upon a time", "--max-new-tokens", "4",
                "--device", "cpu", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = JSON.readTree(r.out());
        assertThat(json.get("input_ids").toString()).isEqualTo("[1,403,407,261,378]");
    }

    @Test
    void backendChoosesTheEngineAndAnUnknownOneIsUnavailable() throws Exception {
        Path model = shared("stories260K");
        Result torch = run("generate", "--model", model.toString(), "--input-ids", "1", "--max-new-tokens", "8",
                "--no-stop", "--device", "cpu", "--backend", "pytorch", "--engine-option", "pytorch.layers=unfused",
                "--json");
        assertThat(torch.exit()).as(torch.err()).isZero();
        Result nat = run("generate", "--model", model.toString(), "--input-ids", "1", "--max-new-tokens", "8",
                "--no-stop", "--device", "cpu", "--backend", "native", "--json");
        assertThat(nat.exit()).as(nat.err()).isZero();
        assertThat(JSON.readTree(torch.out()).get("output_ids")).isEqualTo(JSON.readTree(nat.out()).get("output_ids"));

        Result missing = run("generate", "--model", model.toString(), "--input-ids", "1", "--backend", "tpu", "--json");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("ENGINE_UNAVAILABLE").contains("backend 'tpu' is not on the classpath");
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(run("generate", "--json").exit()).isEqualTo(2);
        assertThat(run("generate", "--prompt", "x", "--input-ids", "1").exit()).isEqualTo(2);
        assertThat(run("frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void assistantErrorsExitWith1AndPrintTheirCode() {
        Result r = run("generate", "--model", temp.resolve("missing").toString(), "--prompt", "x", "--json");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("MODEL_NOT_FOUND");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anInt8KvCacheRunsOnTheNativeEngineAndThePyTorchEngineRefusesItByName() throws Exception {
        Path model = shared("stories260K");
        Result int8 = run("generate", "--model", model.toString(), "--input-ids", "1", "--max-new-tokens", "8",
                "--no-stop", "--device", "cpu", "--kv-cache", "int8", "--json");
        assertThat(int8.exit()).as(int8.err()).isZero();
        assertThat(JSON.readTree(int8.out()).get("output_ids")).hasSize(8);

        Result torch = run("generate", "--model", model.toString(), "--input-ids", "1", "--device", "cpu",
                "--kv-cache", "int8", "--backend", "pytorch", "--json");
        assertThat(torch.exit()).isEqualTo(1);
        assertThat(torch.err()).contains("ENGINE_UNAVAILABLE").contains("pytorch: cannot, stores KV caches as f32 only, "
                + "not kvCacheType int8");
        // GPT-2 runs on the pytorch engine only: auto selection refuses rather than dropping the option
        Result gpt2 = run("generate", "--model", shared("tinystories-gpt2-mini").toString(), "--input-ids", "1",
                "--device", "cpu", "--kv-cache", "int8", "--json");
        assertThat(gpt2.exit()).isEqualTo(1);
        assertThat(gpt2.err()).contains("ENGINE_UNAVAILABLE").contains("not kvCacheType int8");

        Result unknown = run("generate", "--model", model.toString(), "--input-ids", "1", "--kv-cache", "fp8");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("unknown KV cache type 'fp8'");
    }

    @Test
    void doctorShowsTheKvCacheBytesOfTheTypeAsked() {
        Result r = run("doctor", "--model", shared("stories260K").toString(), "--kv-cache", "int8");
        assertThat(r.exit()).as(r.err()).isZero();
        // 5 layers x 4 KV heads x (keys and values) x (8 int8 + a 4-byte scale), against 8 x 4 bytes in f32
        assertThat(r.out()).contains("--kv-cache int8: loads on 'native'")
                .contains("KV cache (int8): 480 bytes per token, 0.2 MiB per sequence at the full context of 512 "
                        + "tokens (f32: 0.6 MiB)")
                .contains("pytorch: no: stores KV caches as f32 only, not kvCacheType int8");
    }

    @Test
    void doctorReportsTheHostAndItsReasoning() {
        Result r = run("doctor", "--model", shared("stories260K").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("cores").contains("memory").contains("TCP congestion control")
                .contains("native library: loaded, ").contains("per-channel INT8 layers on libtorch fbgemm")
                .contains("layers: Llama layers: one TorchScript call per layer")
                .contains("with --backend auto --device auto --dtype f32 --kv-cache f32: loads on 'native'")
                .contains("KV cache (f32): 1280 bytes per token, 0.6 MiB per sequence at the full context of 512 tokens")
                .contains("native: yes (rank 100): Llama on the CPU").contains("pytorch: yes (rank 10)")
                .doesNotContain("Failed to detect GPU count")
                .contains("workers = " + Math.max(16, 2 * Runtime.getRuntime().availableProcessors())).contains("batch size = ");
    }
}
