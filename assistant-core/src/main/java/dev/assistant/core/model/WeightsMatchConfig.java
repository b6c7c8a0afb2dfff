package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks {@code config.json} against the weights actually present before anything is sized from the config: the
 * number of layers, the vocabulary, hidden, head and feed-forward sizes and (GPT-2) the context must be those of
 * the tensors. A config that claims more than the file holds (a typo, a wrong file, a hostile edit) is then a
 * {@code MODEL_INVALID} naming the config field, not an attempt to allocate for two billion layers.
 *
 * <p>Tensors that are absent are not this check's business (the loader names a missing tensor); it compares what
 * is there.
 */
final class WeightsMatchConfig {
    private static final Pattern LAYER = Pattern.compile("^(?:model\\.layers|transformer\\.h|h)\\.(\\d{1,9})\\.");

    private WeightsMatchConfig() {
    }

    static void check(ModelConfig c, WeightStore weights, java.nio.file.Path configFile) {
        boolean gpt2 = c.architecture() == Architecture.GPT2;
        int layers = -1;
        for (String name : weights.tensors().keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)));
            }
        }
        if (layers >= 0 && layers + 1 != c.numLayers()) {
            throw invalid(configFile, gpt2 ? "n_layer" : "num_hidden_layers", c.numLayers(), "the weights hold "
                    + (layers + 1) + " layers");
        }
        String hiddenField = gpt2 ? "n_embd" : "hidden_size";
        long hidden = c.hiddenSize();
        Optional<TensorInfo> embedding = gpt2
                ? weights.find("transformer.wte.weight").or(() -> weights.find("wte.weight"))
                : weights.find("model.embed_tokens.weight");
        embedding.ifPresent(t -> expect(t, configFile, t.shape().length == 2 && t.shape()[0] != c.vocabSize()
                ? "vocab_size" : hiddenField, false, c.vocabSize(), hidden));
        if (gpt2) {
            String prefix = weights.find("transformer.wte.weight").isPresent() ? "transformer." : "";
            weights.find(prefix + "wpe.weight").ifPresent(t ->
                    expect(t, configFile, "n_positions", false, c.maxPositionEmbeddings(), hidden));
            // Conv1D weights are [in, out]; a quantized directory stores them [out, in]: either is fine here.
            weights.find(prefix + "h.0.mlp.c_fc.weight").ifPresent(t ->
                    expect(t, configFile, "n_inner", true, hidden, c.intermediateSize()));
            weights.find(prefix + "h.0.attn.c_attn.weight").ifPresent(t ->
                    expect(t, configFile, hiddenField, true, hidden, 3 * hidden));
        } else {
            String layer0 = "model.layers.0.";
            weights.find(layer0 + "self_attn.q_proj.weight").ifPresent(t -> expect(t, configFile,
                    t.shape().length == 2 && t.shape()[1] != hidden ? hiddenField : "num_attention_heads", false,
                    (long) c.numHeads() * c.headDim(), hidden));
            weights.find(layer0 + "self_attn.k_proj.weight").ifPresent(t -> expect(t, configFile,
                    "num_key_value_heads", false, (long) c.numKvHeads() * c.headDim(), hidden));
            weights.find(layer0 + "mlp.gate_proj.weight").ifPresent(t -> expect(t, configFile,
                    "intermediate_size", false, c.intermediateSize(), hidden));
        }
    }

    /**
     * A 2-D tensor must have the shape {@code [rows, cols]} the config implies ({@code [cols, rows]} too when
     * {@code eitherOrientation}); other ranks (packed formats) are left to the loader.
     */
    private static void expect(TensorInfo t, java.nio.file.Path configFile, String field, boolean eitherOrientation,
                               long rows, long cols) {
        long[] shape = t.shape();
        if (shape.length != 2 || shape[0] == rows && shape[1] == cols
                || eitherOrientation && shape[0] == cols && shape[1] == rows) {
            return;
        }
        if (t.dtype() == DType.U8 && shape[0] == rows && cols > 0 && cols <= Integer.MAX_VALUE
                && (shape[1] == (long) BlockFormat.blocksPerRow((int) cols) * 18
                || shape[1] == (long) BlockFormat.blocksPerRow((int) cols) * 34)) {
            return; // ggml blocks of a [rows, cols] matrix (assistant quantize --dtype q4); the loader reads them
        }
        throw new AssistantException(ErrorCode.MODEL_INVALID, "invalid " + configFile + ": field '" + field
                + "' does not match the weights: tensor '" + t.name() + "' has shape " + t.shapeText()
                + " but config.json implies [" + rows + ", " + cols + "]");
    }

    private static AssistantException invalid(java.nio.file.Path configFile, String field, long value, String why) {
        return new AssistantException(ErrorCode.MODEL_INVALID, "invalid " + configFile + ": field '" + field + "' is "
                + value + " but " + why);
    }
}
