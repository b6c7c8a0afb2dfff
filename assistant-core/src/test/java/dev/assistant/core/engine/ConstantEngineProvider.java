package dev.assistant.core.engine;

import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;

import java.util.List;

/**
 * A test-only engine registered in this module's test resources ({@code META-INF/services}): it runs Llama-family
 * models by always predicting token {@link #TOKEN}, and refuses everything else with a reason. Core's code does not
 * know it; it is found and chosen through the SPI alone.
 */
public class ConstantEngineProvider implements EngineProvider {
    public static final String NAME = "constant";
    /** The token every position predicts. */
    public static final int TOKEN = 42;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "test engine that always predicts token " + TOKEN;
    }

    @Override
    public EngineSupport support(ModelConfig config, LoadOptions options) {
        if (config.architecture() != Architecture.LLAMA) {
            return EngineSupport.no("runs Llama only, not " + config.architectureName());
        }
        return EngineSupport.yes(EngineSupport.PREFERRED, "any Llama, one constant answer");
    }

    @Override
    public CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        return new ConstantModel(dir.config());
    }

    @Override
    public List<String> diagnostics() {
        return List.of("nothing to diagnose");
    }

    /** Logits with one peak at {@link #TOKEN}, whatever the input. */
    static class ConstantModel implements CausalLanguageModel {
        private final ModelConfig config;

        ConstantModel(ModelConfig config) {
            this.config = config;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public int contextLength() {
            return config.maxPositionEmbeddings();
        }

        @Override
        public Sequence newSequence(int capacity) {
            return new Sequence() {
                private int length;

                @Override
                public int length() {
                    return length;
                }

                @Override
                public int capacity() {
                    return capacity;
                }

                @Override
                public float[] forward(int[] tokens) {
                    if (length + tokens.length > capacity) {
                        throw new IllegalArgumentException("capacity " + capacity + " exceeded");
                    }
                    length += tokens.length;
                    float[] logits = new float[config.vocabSize()];
                    logits[TOKEN] = 10;
                    return logits;
                }

                @Override
                public float[][] forwardAll(int[] tokens) {
                    float[][] out = new float[tokens.length][];
                    for (int i = 0; i < tokens.length; i++) {
                        out[i] = forward(new int[]{tokens[i]});
                    }
                    return out;
                }

                @Override
                public void truncate(int newLength) {
                    length = newLength;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public long weightBytes() {
            return 0;
        }

        @Override
        public String computeType() {
            return "f32";
        }

        @Override
        public void close() {
        }
    }
}
