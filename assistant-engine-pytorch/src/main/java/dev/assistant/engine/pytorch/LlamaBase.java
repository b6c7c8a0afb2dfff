package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.assistant.core.model.ModelConfig;

/**
 * What the libtorch Llama-family models share (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama): the token embedding,
 * RMSNorm, rotate-half RoPE, the final norm and a tied or separate output head. Every linear layer runs once per
 * forward pass for all rows of a ragged batch; subclasses say how a decoder layer runs.
 */
abstract class LlamaBase extends DjlCausalModel {
    protected final TokenEmbedding embeddings;
    protected final NDArray finalNorm;
    protected final RotaryEmbedding rope;
    private final LinearLayer head;
    private final NDArray eps;

    LlamaBase(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings, NDArray finalNorm,
              LinearLayer head) {
        super(config, weights, computeType);
        this.embeddings = embeddings;
        this.finalNorm = finalNorm;
        this.head = head;
        // a tensor, not a float: adding a Java number costs an extra native call to wrap it, every norm of every step
        this.eps = weights.create(new float[]{(float) config.normEps()}, new Shape(1));
        this.rope = new RotaryEmbedding(weights, config);
    }

    @Override
    protected NDArray logits(NDArray hidden) {
        return head.apply(hidden);
    }

    protected NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray rms = x.mul(x).mean(new int[]{-1}, true).add(eps).sqrt();
        return x.div(rms).mul(weight);
    }
}
