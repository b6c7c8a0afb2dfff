package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.BlockWeights;
import dev.assistant.core.model.Int8Weights;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.Gemma2Settings;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.OutputHead;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads a Llama-family model into a {@link NativeLlamaModel}: float32 matrices copied into direct buffers the model
 * owns (q|k|v and gate|up joined), INT8 matrices (per-channel, read as stored or quantized by assistant-quant)
 * copied into the native state. The model file is closed when loading ends; nothing refers to it afterwards.
 */
final class NativeLlamaLoader {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLlamaLoader.class);

    private final ModelConfig c;
    private final TensorReader reader;
    private final Int8Weights int8;
    private final boolean quantizeTables;
    private final BlockWeights blocks;
    /** The format a float table / head is quantized to with dtype q4 (engine option native.head), or null. */
    private final BlockFormat headFormat;
    private final List<ByteBuffer> owned = new ArrayList<>();
    /** How many matrices (by slot name) went into each format, for the load log. */
    private final Map<String, Integer> formats = new TreeMap<>();
    private long heldBytes;

    private NativeLlamaLoader(ModelConfig c, TensorReader reader, QuantScheme scheme, boolean quantizeTables,
                              BlockFormat blockTarget, BlockFormat headFormat) {
        this.c = c;
        this.reader = reader;
        this.int8 = scheme == null ? null : new Int8Weights(reader, scheme);
        this.quantizeTables = quantizeTables;
        this.blocks = new BlockWeights(reader, blockTarget);
        this.headFormat = headFormat;
    }

    static NativeLlamaModel load(ModelDirectory dir, LoadOptions options, String kernels) {
        ModelConfig c = dir.config();
        QuantScheme scheme = Int8Weights.schemeFor(c, options).orElse(null);
        long start = System.nanoTime();
        try (WeightStore store = dir.openWeights()) {
            boolean tied = c.tieWordEmbeddings() || store.find("lm_head.weight").isEmpty();
            // A quantized directory decides by itself: tables stored as I8 are read as such, float ones stay float.
            boolean quantizeTables = scheme != null && c.quantization().isEmpty() && options.quantizeEmbeddings()
                    && !tied;
            BlockFormat blockTarget = scheme != null ? null : BlockWeights.targetFor(c, options).orElse(null);
            NativeLlamaLoader loader = new NativeLlamaLoader(c, new TensorReader(store), scheme, quantizeTables,
                    // a q4 directory's table and head are used as it stored them (blocks, or float32)
                    blockTarget, blockTarget == null || c.blockFormat().isPresent() ? null : headFormat(options));
            NativeLlamaModel model = loader.build(options.effectiveThreads(), kernels, options.kvCacheType(),
                    ActivationPrecision.parse(options.engineOption(NativeEngineProvider.ACTIVATIONS_OPTION,
                            ActivationPrecision.INT8.optionValue())));
            LOG.info("loaded {} natively ({} layers, {} weights{}, {} bytes of weights, {} KV cache, {} kernels, {} "
                            + "threads) in {} ms", dir.path(), c.numLayers(), model.computeType(),
                    loader.formats.isEmpty() ? "" : " " + loader.formats, model.weightBytes(), model.kvCacheType(),
                    model.instructionSet(), model.threads(), (System.nanoTime() - start) / 1_000_000);
            return model;
        } catch (AssistantException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot load " + dir.path() + ": " + e.getMessage(), e);
        }
    }

    /** Engine option {@code native.head}: the format of a tied table / head with dtype q4. */
    static BlockFormat headFormat(LoadOptions options) {
        String value = options.engineOption(NativeEngineProvider.HEAD_OPTION, "q4_0");
        return switch (value) {
            case "q8_0" -> BlockFormat.Q8_0;
            case "q4_0" -> BlockFormat.Q4_0;
            case "f32" -> null;
            default -> throw new AssistantException(ErrorCode.INVALID_REQUEST, NativeEngineProvider.HEAD_OPTION
                    + " must be q8_0, q4_0 or f32, not " + value);
        };
    }

    private NativeLlamaModel build(int threads, String kernels, KvCacheType kvCacheType,
                                   ActivationPrecision activations) {
        NativeLlamaLayers natives = NativeLlamaLayers.create(c, threads, kernels);
        try {
            natives.setKvCacheType(kvCacheType);
            natives.setActivations(activations);
            int hidden = c.hiddenSize();
            Gemma2Settings gemma = c.gemma2Settings().orElse(null);
            if (gemma != null) {
                setGemma(natives, gemma);
            }
            for (int i = 0; i < c.numLayers(); i++) {
                if (int8 != null) {
                    Int8Weights.Matrix[] slots = int8.llamaLayer(c, i);
                    for (int slot = 0; slot < slots.length; slot++) {
                        natives.setInt8Linear(i, slot, slots[slot].matrix(), slots[slot].bias());
                    }
                } else {
                    setFloatLayer(natives, i);
                }
                String p = "model.layers." + i + ".";
                if (gemma != null) {
                    setGemmaLayer(natives, gemma, i);
                    continue;
                }
                natives.setNorms(i, reader.floats(p + "input_layernorm.weight", hidden),
                        reader.floats(p + "post_attention_layernorm.weight", hidden));
                if (c.architecture() == Architecture.QWEN3) {
                    natives.setHeadNorms(i, reader.floats(p + "self_attn.q_norm.weight", c.headDim()),
                            reader.floats(p + "self_attn.k_norm.weight", c.headDim()));
                }
            }
            float[] finalNorm = reader.floats("model.norm.weight", hidden);
            natives.setFinalNorm(gemma != null ? onePlus(finalNorm) : finalNorm);
            NativeLlamaModel.Embedder embedder = embeddingAndHead(natives);
            String type = int8 != null ? "int8" : blocks.target().isPresent() ? "q4"
                    : formats.keySet().stream().anyMatch(f -> !f.endsWith("f32")) ? "blocks" : "f32";
            return new NativeLlamaModel(c, natives, owned, embedder, type, heldBytes + natives.ownedBytes(),
                    kvCacheType);
        } catch (RuntimeException | Error e) {
            natives.close();
            owned.forEach(DirectBuffers::release);
            throw e;
        }
    }

    /**
     * Gemma's model-wide settings, rounded to float32 as the PyTorch engine rounds them: the query scale
     * query_pre_attn_scalar^-0.5 and the embedding scale sqrt(hidden) (HF multiplies by it in the activations' type).
     */
    private void setGemma(NativeLlamaLayers natives, Gemma2Settings gemma) {
        natives.setGemma((float) Math.pow(gemma.queryPreAttnScalar(), -0.5), (float) Math.sqrt(c.hiddenSize()),
                (float) gemma.finalSoftcap(), gemma.localRopeTheta());
    }

    /**
     * A Gemma layer's four norms (HF stores w, they multiply by 1 + w: the 1 is added to the copies here), Gemma 3's
     * per-head q/k norms, and how it attends: the sliding layers through the window and, with Gemma 3's local RoPE
     * base, with the local table (they skip rope_scaling); every layer's scores capped alike.
     */
    private void setGemmaLayer(NativeLlamaLayers natives, Gemma2Settings gemma, int i) {
        int hidden = c.hiddenSize();
        String p = "model.layers." + i + ".";
        natives.setNorms(i, onePlus(reader.floats(p + "input_layernorm.weight", hidden)),
                onePlus(reader.floats(p + "pre_feedforward_layernorm.weight", hidden)));
        natives.setPostNorms(i, onePlus(reader.floats(p + "post_attention_layernorm.weight", hidden)),
                onePlus(reader.floats(p + "post_feedforward_layernorm.weight", hidden)));
        if (c.architecture() == Architecture.GEMMA3) {
            natives.setHeadNorms(i, onePlus(reader.floats(p + "self_attn.q_norm.weight", c.headDim())),
                    onePlus(reader.floats(p + "self_attn.k_norm.weight", c.headDim())));
        }
        boolean slides = gemma.slides(i);
        natives.setLayerAttention(i, slides ? gemma.slidingWindow() : 0, slides && gemma.localRopeTheta() > 0,
                (float) gemma.attentionSoftcap());
    }

    /** 1 + w, in float32 (as the PyTorch engine adds it), in place. */
    private static float[] onePlus(float[] w) {
        for (int i = 0; i < w.length; i++) {
            w[i] += 1f;
        }
        return w;
    }

    /**
     * Layer {@code i}'s matrices, joined where they read the same input: in a block format where they are stored so
     * or dtype q4 asks for it (see {@link BlockWeights}), else float32, copied.
     */
    private void setFloatLayer(NativeLlamaLayers natives, int i) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        int ffn = c.intermediateSize();
        String p = "model.layers." + i + ".";
        String a = p + "self_attn.";
        if (c.architecture() == Architecture.PHI3) {
            // Phi-3 stores q|k|v and gate|up already joined, as this engine holds them; a block format quantizes
            // each output row on its own, so the joined matrix quantizes as its parts would
            setSlot(natives, i, NativeLlamaLayers.QKV, "q|k|v", new String[]{a + "qkv_proj"},
                    new int[]{qOut + 2 * kvOut}, hidden, false);
            setSlot(natives, i, NativeLlamaLayers.O, "o", new String[]{a + "o_proj"}, new int[]{hidden}, qOut, false);
            setSlot(natives, i, NativeLlamaLayers.GATE_UP, "gate|up", new String[]{p + "mlp.gate_up_proj"},
                    new int[]{2 * ffn}, hidden, false);
            setSlot(natives, i, NativeLlamaLayers.DOWN, "down", new String[]{p + "mlp.down_proj"}, new int[]{hidden},
                    ffn, false);
            return;
        }
        setSlot(natives, i, NativeLlamaLayers.QKV, "q|k|v", new String[]{a + "q_proj", a + "k_proj", a + "v_proj"},
                new int[]{qOut, kvOut, kvOut}, hidden, c.attentionBias());
        setSlot(natives, i, NativeLlamaLayers.O, "o", new String[]{a + "o_proj"}, new int[]{hidden}, qOut, false);
        setSlot(natives, i, NativeLlamaLayers.GATE_UP, "gate|up", new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                new int[]{ffn, ffn}, hidden, c.mlpBias());
        setSlot(natives, i, NativeLlamaLayers.DOWN, "down", new String[]{p + "mlp.down_proj"}, new int[]{hidden}, ffn,
                c.mlpBias());
    }

    private void setSlot(NativeLlamaLayers natives, int layer, int slot, String label, String[] names, int[] outs,
                         int in, boolean bias) {
        String[] weights = new String[names.length];
        for (int k = 0; k < names.length; k++) {
            weights[k] = names[k] + ".weight";
        }
        Optional<BlockMatrix> joined = blocks.joined(weights, outs, in);
        float[] b = biases(names, outs, bias);
        if (joined.isPresent()) {
            natives.setBlockLinear(layer, slot, joined.get(), b);
            count(label + " " + joined.get().format().name().toLowerCase(java.util.Locale.ROOT));
        } else {
            natives.setFloatLinear(layer, slot, float32(names, outs, in), b);
            count(label + " f32");
        }
    }

    private void count(String what) {
        formats.merge(what, 1, Integer::sum);
    }

    /**
     * The head as a block matrix: as stored in a block format, else (dtype q4) quantized to the {@code native.head}
     * format; empty for float32.
     */
    private Optional<BlockMatrix> headBlocks(String name) {
        int vocab = c.vocabSize();
        int hidden = c.hiddenSize();
        Optional<BlockMatrix> stored = reader.store().blocks(name, vocab, hidden);
        if (stored.isPresent() || headFormat == null || hidden % BlockFormat.GROUP != 0) {
            return stored;
        }
        return Optional.of(reader.withFloats(reader.store().require(name, vocab, hidden),
                floats -> BlockMatrix.quantize(headFormat, floats, vocab, hidden)));
    }

    /**
     * The embedding table and the output head: a float32 table is copied and read by the native side (and serves
     * as a tied head); an INT8 table is looked up in Java, row by row; an INT8 head of its own, or a tied INT8
     * table, is copied into the native state.
     */
    private NativeLlamaModel.Embedder embeddingAndHead(NativeLlamaLayers natives) {
        WeightStore store = reader.store();
        int vocab = c.vocabSize();
        int hidden = c.hiddenSize();
        boolean tied = OutputHead.isTied(c, store, "lm_head");
        String table = "model.embed_tokens.weight";
        NativeLlamaModel.Embedder embedder;
        QuantizedMatrix int8Table = null;
        if (int8 == null) {
            Optional<BlockMatrix> head = headBlocks(tied ? table : "lm_head.weight");
            if (tied && head.isPresent()) {
                // the table stays quantized: tokens are looked up in the head's blocks
                natives.setBlockHead(head.get());
                natives.setEmbeddingFromHead();
                count("head+table " + head.get().format().name().toLowerCase(java.util.Locale.ROOT));
                return NativeLlamaModel.Embedder.NATIVE;
            }
            if (head.isPresent()) {
                Optional<BlockMatrix> blockTable = headBlocks(table);
                if (blockTable.isPresent()) {
                    natives.setBlockEmbedding(blockTable.get());
                    count("table " + blockTable.get().format().name().toLowerCase(java.util.Locale.ROOT));
                } else {
                    natives.setEmbedding(float32(new String[]{table}, new int[]{vocab}, hidden));
                }
                natives.setBlockHead(head.get());
                count("head " + head.get().format().name().toLowerCase(java.util.Locale.ROOT));
                return NativeLlamaModel.Embedder.NATIVE;
            }
        }
        if (int8 != null && (quantizeTables || store.require(table, vocab, hidden).dtype() == DType.I8)) {
            int8Table = int8.matrix(table, vocab, hidden, false);
            heldBytes += int8Table.sizeInBytes();
            embedder = NativeLlamaModel.Embedder.int8(int8Table);
        } else {
            ByteBuffer floats = float32(new String[]{table}, new int[]{vocab}, hidden);
            natives.setEmbedding(floats);
            embedder = NativeLlamaModel.Embedder.NATIVE;
            if (tied) {
                natives.setFloatHead(floats);
                return embedder;
            }
        }
        if (tied) {
            natives.setInt8Head(int8Table);
        } else if (int8 != null && (quantizeTables || store.require("lm_head.weight", vocab, hidden).dtype() == DType.I8)) {
            natives.setInt8Head(int8.matrix("lm_head.weight", vocab, hidden, false));
        } else {
            natives.setFloatHead(float32(new String[]{"lm_head"}, new int[]{vocab}, hidden));
        }
        return embedder;
    }

    /**
     * The float32 matrices {@code names} (each [outs[i], in]; a name is taken whole when it ends in
     * {@code .weight}, else {@code .weight} is appended) copied side by side into one direct buffer this model owns.
     */
    private ByteBuffer float32(String[] names, int[] outs, int in) {
        long rows = 0;
        for (int out : outs) {
            rows += out;
        }
        long bytes = rows * in * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "matrix " + String.join("|", names)
                    + " is larger than 2 GiB, which this engine cannot hold in one buffer");
        }
        ByteBuffer joined;
        try {
            joined = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        } catch (OutOfMemoryError e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "no direct memory for " + bytes + " bytes of "
                    + "float32 weights: raise -XX:MaxDirectMemorySize (by default the maximum heap size) to at least "
                    + "the model's weight bytes", e);
        }
        owned.add(joined);
        java.nio.FloatBuffer target = joined.asFloatBuffer();
        for (int i = 0; i < names.length; i++) {
            String name = names[i].endsWith(".weight") ? names[i] : names[i] + ".weight";
            TensorInfo info = reader.store().require(name, outs[i], in);
            reader.withFloats(info, target::put);
        }
        heldBytes += bytes;
        return joined;
    }

    /** The biases of {@code names} joined, or null without bias. */
    private float[] biases(String[] names, int[] outs, boolean bias) {
        if (!bias) {
            return null;
        }
        int total = 0;
        for (int out : outs) {
            total += out;
        }
        float[] joined = new float[total];
        for (int i = 0, at = 0; i < names.length; at += outs[i], i++) {
            System.arraycopy(reader.floats(names[i] + ".bias", outs[i]), 0, joined, at, outs[i]);
        }
        return joined;
    }
}
