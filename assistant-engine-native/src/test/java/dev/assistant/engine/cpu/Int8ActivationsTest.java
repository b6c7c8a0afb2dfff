package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static dev.assistant.engine.cpu.Int8KvCacheTest.ints;
import static dev.assistant.engine.cpu.Int8KvCacheTest.perplexity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * INT8 weights against 8-bit activations (the default, {@link ActivationPrecision#INT8}) and 16-bit ones, on
 * stories260K with the AVX-512 VNNI kernels: the perplexity of the golden text near the 16-bit one's, greedy
 * continuations compared, the default and the option's values. (That a row's outputs do not depend on the rows
 * sharing its pass, with either precision, is checked bit for bit by the C harness, llama_model_test.c.)
 */
class Int8ActivationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path STORIES = SharedModels.model("stories260K");

    private static LoadOptions.Builder int8() {
        return LoadOptions.builder().device("cpu").threads(2).weightType(WeightType.INT8);
    }

    private static CausalLanguageModel load(LoadOptions options) {
        return NativeLlamaLayersTest.load(STORIES, options);
    }

    private static CausalLanguageModel load(ActivationPrecision precision) {
        return load(int8().engineOption(NativeEngineProvider.ACTIVATIONS_OPTION, precision.optionValue()).build());
    }

    @Test
    void eightBitActivationsKeepThePerplexityNearSixteenBitOnes() throws IOException {
        JsonNode golden = JSON.readTree(STORIES.resolve("reference/golden.json").toFile());
        try (CausalLanguageModel a8 = load(ActivationPrecision.INT8);
             CausalLanguageModel a16 = load(ActivationPrecision.INT16);
             CausalLanguageModel f32 = load(LoadOptions.builder().device("cpu").threads(2).build())) {
            assertThat(((NativeLlamaModel) a8).instructionSet()).as("the VNNI kernels run here").isEqualTo("avx512");
            int[] ids = ints(golden.get("perplexity").get("input_ids"));
            double a8Ppl = perplexity(a8, ids);
            double a16Ppl = perplexity(a16, ids);
            double f32Ppl = perplexity(f32, ids);
            System.out.printf("[int8 activations] stories260K (%d tokens): perplexity %.4f with 8-bit activations, "
                    + "%.4f with 16-bit (%+.3f%%), %.4f with float32 weights%n", ids.length, a8Ppl, a16Ppl,
                    100 * (a8Ppl / a16Ppl - 1), f32Ppl);
            assertThat(a8Ppl).isLessThanOrEqualTo(a16Ppl * 1.01);
            assertThat(a8Ppl).as("8-bit activations are not 16-bit ones").isNotEqualTo(a16Ppl);

            Int8KvCacheTest.Agreement agreement = Int8KvCacheTest.greedyAgreement(a16, a8, golden);
            System.out.printf("[int8 activations] stories260K: first greedy token equal on %d of 8 prompts; %d of %d "
                    + "greedy tokens agree with 16-bit activations before the first difference%n",
                    agreement.sameFirst(), agreement.agreeing(), agreement.total());
            assertThat(agreement.sameFirst()).isGreaterThanOrEqualTo(7);
            assertThat(agreement.agreeing()).isGreaterThanOrEqualTo(agreement.total() / 2);
        }
    }

    @Test
    void eightBitsAreTheDefaultAndAnUnknownPrecisionIsRefused() {
        try (CausalLanguageModel byDefault = load(int8().build());
             CausalLanguageModel a8 = load(ActivationPrecision.INT8);
             CausalLanguageModel a16 = load(ActivationPrecision.INT16);
             Sequence s = byDefault.newSequence(8); Sequence t = a8.newSequence(8); Sequence u = a16.newSequence(8)) {
            int[] ids = {1, 5, 9, 200, 31};
            float[] logits = s.forward(ids);
            assertThat(logits).containsExactly(t.forward(ids));
            assertThat(logits).isNotEqualTo(u.forward(ids));
        }

        LoadOptions wrong = int8().engineOption(NativeEngineProvider.ACTIVATIONS_OPTION, "int4").build();
        ModelDirectory dir = ModelDirectory.read(STORIES, false);
        assertThat(new NativeEngineProvider().support(dir.config(), wrong).reason())
                .contains("native.activations must be int8 or int16, not int4");
        assertThatThrownBy(() -> NativeLlamaLoader.load(dir, wrong, "avx512"))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
        assertThatThrownBy(() -> EngineProviders.discover().load(dir, wrong)).isInstanceOf(AssistantException.class);
    }
}
