package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.djl.DjlModelLoader;
import dev.assistant.core.model.ModelDirectory;

import java.util.function.DoubleSupplier;

/**
 * One build's side of {@link PairedBuilds}: a model loaded by that build, and its decode speed on demand (tok/s of
 * {@link GreedyDecode#run}). Compiled against each build's own classes by {@code ab-decode.sh}; the driver sees it
 * only as a {@link DoubleSupplier}.
 */
public final class DecodeSide implements DoubleSupplier, AutoCloseable {
    private final CausalLanguageModel model;
    private final int tokens;

    public DecodeSide(String model, String dtype, int threads, int tokens) {
        this.model = DjlModelLoader.load(ModelDirectory.read(GreedyDecode.modelDirectory(model), false),
                LoadOptions.builder().device("cpu").weightType(WeightType.parse(dtype)).threads(threads).build());
        this.tokens = tokens;
    }

    @Override
    public double getAsDouble() {
        return GreedyDecode.run(model, tokens).tokensPerSecond();
    }

    @Override
    public void close() {
        model.close();
    }
}
