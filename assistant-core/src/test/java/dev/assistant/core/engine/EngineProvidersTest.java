package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Engines are found with ServiceLoader and chosen by what they support: core has no engine of its own here, only
 * the test-only {@link ConstantEngineProvider} registered in the test resources.
 */
class EngineProvidersTest {
    private final ModelDirectory llama = ModelDirectory.read(SharedModels.model("stories260K"), false);
    private final ModelDirectory gpt2 = ModelDirectory.read(SharedModels.model("tinystories-gpt2-mini"), false);

    @Test
    void aProviderRegisteredInMetaInfServicesIsFoundAndPicked() {
        EngineProviders engines = EngineProviders.discover();
        assertThat(engines.providers()).extracting(EngineProvider::name).containsExactly(ConstantEngineProvider.NAME);
        EngineProviders.Selection selection = engines.select(llama.config(), LoadOptions.defaults());
        assertThat(selection.chosen()).map(EngineProvider::name).contains(ConstantEngineProvider.NAME);
        assertThat(selection.explanation()).contains("constant: can run it").contains("any Llama");
    }

    @Test
    void theAssistantGeneratesWithTheDiscoveredEngine() {
        try (Assistant assistant = Assistant.builder().modelPath(llama.path()).build()) {
            Completion done = assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(5).build());
            assertThat(done.outputIds()).containsOnly(ConstantEngineProvider.TOKEN).hasSize(5);
        }
    }

    @Test
    void aModelNoEngineRunsFailsWithEveryEnginesReason() {
        assertThatThrownBy(() -> EngineProviders.discover().load(gpt2, LoadOptions.defaults()))
                .isInstanceOf(AssistantException.class)
                .hasMessageContaining("no engine can run").hasMessageContaining("constant: cannot, runs Llama only")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void anExplicitBackendThatIsAbsentIsUnavailableAndNamesThePresentOnes() {
        LoadOptions pytorch = LoadOptions.builder().backend("pytorch").build();
        assertThatThrownBy(() -> EngineProviders.discover().load(llama, pytorch))
                .isInstanceOf(AssistantException.class)
                .hasMessageContaining("backend 'pytorch' is not on the classpath (present: constant)")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void anEngineThatIgnoresTheKvCacheTypeAskedForIsRefusedAndItsModelClosed() {
        boolean[] closed = {false};
        EngineProvider ignoring = new ConstantEngineProvider() {
            @Override
            public CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
                return new ConstantModel(dir.config()) {
                    @Override
                    public void close() {
                        closed[0] = true;
                    }
                };
            }
        };
        LoadOptions int8 = LoadOptions.builder().kvCacheType(KvCacheType.INT8).build();
        assertThatThrownBy(() -> EngineProviders.of(List.of(ignoring)).load(llama, int8))
                .isInstanceOf(AssistantException.class)
                .hasMessageContaining("engine 'constant' loaded").hasMessageContaining("with a f32 KV cache, but "
                        + "kvCacheType int8 was asked for")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
        assertThat(closed[0]).as("the model loaded with the wrong cache is closed").isTrue();
        // the default is f32 and accepted
        try (CausalLanguageModel model = EngineProviders.of(List.of(ignoring)).load(llama, LoadOptions.defaults())) {
            assertThat(model.kvCacheType()).isEqualTo(KvCacheType.F32);
            assertThat(model.kvCacheBytes(10)).isEqualTo(10 * KvCacheType.F32.bytesPerToken(llama.config()));
        }
    }

    @Test
    void kvCacheTypesParseAndCountTheirBytes() {
        assertThat(KvCacheType.parse(" INT8 ")).isEqualTo(KvCacheType.INT8);
        assertThat(KvCacheType.parse("f32")).isEqualTo(KvCacheType.F32);
        assertThatThrownBy(() -> KvCacheType.parse("fp8")).isInstanceOf(AssistantException.class)
                .hasMessageContaining("unknown KV cache type 'fp8'; use f32 or int8")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThatThrownBy(() -> KvCacheType.parse(null)).isInstanceOf(AssistantException.class);
        // stories260K: 5 layers, 4 KV heads, head_dim 8
        assertThat(KvCacheType.F32.bytesPerToken(llama.config())).isEqualTo(2 * 5 * 4 * 8 * 4);
        assertThat(KvCacheType.INT8.bytesPerToken(llama.config())).isEqualTo(2 * 5 * 4 * (8 + 4));
        assertThat(LoadOptions.defaults().kvCacheType()).isEqualTo(KvCacheType.F32);
        assertThat(LoadOptions.builder().kvCacheType(KvCacheType.INT8).build().toBuilder().build().kvCacheType())
                .isEqualTo(KvCacheType.INT8);
    }

    @Test
    void anExplicitBackendOverridesTheRanking() {
        EngineProvider low = new ConstantEngineProvider() {
            @Override
            public String name() {
                return "second";
            }

            @Override
            public EngineSupport support(dev.assistant.core.model.ModelConfig config, LoadOptions options) {
                return EngineSupport.yes(EngineSupport.FALLBACK, "low rank");
            }
        };
        EngineProviders engines = EngineProviders.of(List.of(new ConstantEngineProvider(), low));
        assertThat(engines.select(llama.config(), LoadOptions.defaults()).chosen()).map(EngineProvider::name)
                .contains(ConstantEngineProvider.NAME);
        assertThat(engines.select(llama.config(), LoadOptions.builder().backend("second").build()).chosen())
                .map(EngineProvider::name).contains("second");
    }

    @Test
    void engineOptionsAreValidatedAndNamespaced() {
        assertThatThrownBy(() -> LoadOptions.builder().engineOption("layers", "unfused"))
                .isInstanceOf(AssistantException.class).hasMessageContaining("engine.key");
        LoadOptions options = LoadOptions.builder().engineOption("pytorch.layers", "unfused").build();
        assertThat(options.engineOptions()).isEqualTo(Map.of("pytorch.layers", "unfused"));
        assertThat(options.unknownEngineOption("pytorch", java.util.Set.of("pytorch.int8"))).isPresent();
        assertThat(options.unknownEngineOption("native", java.util.Set.of())).isEmpty();
    }
}
