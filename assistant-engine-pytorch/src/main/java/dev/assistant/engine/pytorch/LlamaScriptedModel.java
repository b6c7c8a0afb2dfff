package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.assistant.core.model.ModelConfig;

/**
 * A Llama-family model whose decoder layers each run as one call of a shipped TorchScript module
 * ({@link ScriptedLlamaLayer}: float32, or per-channel INT8 on fbgemm).
 */
final class LlamaScriptedModel extends LlamaBase {
    private final ScriptedLlamaLayer[] layers;

    LlamaScriptedModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings,
                       ScriptedLlamaLayer[] layers, NDArray finalNorm, LinearLayer head) {
        super(config, weights, computeType, embeddings, finalNorm, head);
        this.layers = layers;
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        NDArray x = embeddings.lookup(scope, ids);
        NDArray[] stacked = rope.stackedFactors(scope, segments, config.numHeads(), config.numKvHeads());
        try (ScriptedLlamaLayer.PassInputs shared = new ScriptedLlamaLayer.PassInputs(stacked, segments)) {
            for (int i = 0; i < layers.length; i++) {
                x = layers[i].forward(scope, x, segments, i, shared);
            }
        }
        return rmsNorm(x, finalNorm);
    }
}
