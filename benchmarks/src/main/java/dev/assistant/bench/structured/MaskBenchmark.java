package dev.assistant.bench.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.generation.TokenConstraint;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.structured.StructuredOutput;
import dev.assistant.core.tokenizer.ModelTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What the structured-output mask costs next to the decode step it rides on, on the SmolLM-135M-shape demo model
 * (49,152-token byte-level tokenizer). {@code maskPerToken*} replays a realistic JSON answer token by token, computing
 * the allowed-token mask before each token as generation does, and reports the mean per token (score / tokens, the
 * token count is printed by the setup); {@code decodeStep} is one batch-1 FP32 decode step at position 64.
 * The ratio of the two is the overhead claimed in the README (required: at most 10%).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class MaskBenchmark {
    static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string", "maxLength": 40},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "city": {"type": "string"},
               "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
               "member": {"type": "boolean"},
               "score": {"type": "number", "minimum": 0, "maximum": 100}},
             "required": ["name", "age", "tags"], "additionalProperties": false}""";
    static final String ANSWER = "{\"name\": \"Lily and the big red ball\", \"age\": 42, \"city\": \"a small town by "
            + "the sea, where the children played\", \"tags\": [\"happy\", \"friends\", \"park\"], \"member\": true, "
            + "\"score\": 87.5}";

    private ModelTokenizer tokenizer;
    private TokenConstraint.Factory schema;
    private TokenConstraint.Factory object;
    private int[] answer;
    private long[] mask;
    private CausalLanguageModel model;
    private Sequence sequence;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.SMOLLM_135M, DemoModels.DEFAULT_SEED);
        tokenizer = ModelTokenizer.load(dir);
        StructuredOutput structured = new StructuredOutput(tokenizer);
        schema = structured.constraint(ResponseFormat.jsonSchema("person", new ObjectMapper().readTree(SCHEMA), true));
        object = structured.constraint(ResponseFormat.jsonObject());
        answer = tokenizer.encode(ANSWER, false);
        mask = new long[(tokenizer.vocabSize() + 63) / 64];
        System.out.printf("%n[mask] vocabulary %d tokens, answer %d tokens%n", tokenizer.vocabSize(), answer.length);
        // the PyTorch engine, as this benchmark measured before the engines moved to their own modules
        model = EngineProviders.discover().named("pytorch").orElseThrow().load(ModelDirectory.read(dir, false), LoadOptions.builder().device("cpu")
                .weightType(WeightType.parse("f32")).threads(1).build());
        sequence = model.newSequence(128);
        int[] prompt = new int[64];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 300 + i * 7;
        }
        sequence.forward(prompt);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sequence.close();
        model.close();
        tokenizer.close();
    }

    /** The whole answer under its schema: divide by the printed token count for the cost per token. */
    @Benchmark
    public long maskPerAnswerSchema() {
        return replay(schema.create());
    }

    /** The whole answer in JSON-object mode. */
    @Benchmark
    public long maskPerAnswerJsonObject() {
        return replay(object.create());
    }

    private long replay(TokenConstraint c) {
        long bits = 0;
        for (int i = 0; i < answer.length; i++) {
            Arrays.fill(mask, 0);
            c.allowedTokens(mask, 256 - i);
            bits += mask[answer[i] >>> 6];
            c.accept(answer[i]);
        }
        return bits;
    }

    /** One decode step at position 64 (the sequence is cut back after it, so every step is the same). */
    @Benchmark
    public float decodeStep() {
        float[] logits = sequence.forward(new int[]{1234});
        sequence.truncate(64);
        return logits[0];
    }
}
