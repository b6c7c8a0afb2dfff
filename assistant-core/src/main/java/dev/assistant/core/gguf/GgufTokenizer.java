package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer stored in a GGUF file's metadata, expressed as the HuggingFace {@code tokenizer.json} and
 * {@code tokenizer_config.json} the SDK's tokenizer already runs, so GGUF and safetensors models tokenize through
 * the same code.
 *
 * <ul>
 *   <li>{@code tokenizer.ggml.model = "llama"}: SentencePiece BPE over code points with byte fallback. GGUF stores
 *   token scores, not merges; the merges are derived from the vocabulary as SentencePiece's BPE ranks them: every
 *   split of a normal token into two vocabulary tokens is a merge, ranked by the merged token's score (higher
 *   first).</li>
 *   <li>{@code "gpt2"}: byte-level BPE with the stored {@code tokenizer.ggml.merges}; the pre-tokenizer regex from
 *   {@code tokenizer.ggml.pre} ("default"/"gpt2", or "qwen2" with NFC normalization).</li>
 * </ul>
 * Control and unknown tokens become special added tokens, user-defined ones plain added tokens.
 */
public final class GgufTokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NORMAL = 1;
    private static final int UNKNOWN = 2;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int BYTE = 6;
    private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private final GgufFile file;
    private final String model;
    private final List<String> tokens;
    private final int[] types;

    private GgufTokenizer(GgufFile file) {
        this.file = file;
        this.model = file.string("tokenizer.ggml.model").orElseThrow(() -> new AssistantException(
                ErrorCode.MODEL_INVALID, "GGUF file " + file.path() + " has no tokenizer (tokenizer.ggml.model)"));
        if (!model.equals("llama") && !model.equals("gpt2")) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF tokenizer model '" + model + "' of "
                    + file.path() + " is not supported (llama, gpt2 are)");
        }
        this.tokens = file.array("tokenizer.ggml.tokens", String.class).orElseThrow(() -> corrupted(
                "has no tokenizer.ggml.tokens"));
        if (tokens.isEmpty()) {
            throw corrupted("has an empty tokenizer.ggml.tokens");
        }
        List<Long> typeList = file.array("tokenizer.ggml.token_type", Long.class).orElse(List.of());
        if (!typeList.isEmpty() && typeList.size() != tokens.size()) {
            throw corrupted("has " + typeList.size() + " token types for " + tokens.size() + " tokens");
        }
        this.types = new int[tokens.size()];
        for (int i = 0; i < types.length; i++) {
            types[i] = typeList.isEmpty() ? NORMAL : (int) (long) typeList.get(i);
        }
    }

    public static GgufTokenizer of(GgufFile file) {
        return new GgufTokenizer(file);
    }

    /** The equivalent HuggingFace {@code tokenizer.json}. */
    public ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.size(); id++) {
            if (types[id] == CONTROL || types[id] == UNKNOWN || types[id] == USER_DEFINED) {
                ObjectNode t = added.addObject();
                t.put("id", id);
                t.put("content", tokens.get(id));
                t.put("single_word", false);
                t.put("lstrip", false);
                t.put("rstrip", false);
                t.put("normalized", types[id] == USER_DEFINED && model.equals("llama"));
                t.put("special", types[id] != USER_DEFINED);
            }
        }
        ObjectNode bpe = JSON.createObjectNode();
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        ObjectNode vocab = JSON.createObjectNode();
        for (int id = 0; id < tokens.size(); id++) {
            if (!vocab.has(tokens.get(id))) {
                vocab.put(tokens.get(id), id);
            }
        }
        if (model.equals("llama")) {
            llama(root, bpe, vocab);
        } else {
            gpt2(root, bpe, vocab);
        }
        root.set("model", bpe);
        return root;
    }

    private void llama(ObjectNode root, ObjectNode bpe, ObjectNode vocab) {
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode normalizers = normalizer.putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        postProcessor(root, null);
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode decoders = decoder.putArray("decoders");
        ObjectNode unspace = decoders.addObject().put("type", "Replace");
        unspace.putObject("pattern").put("String", "\u2581");
        unspace.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        String unk = special("unknown");
        if (unk != null) {
            bpe.put("unk_token", unk);
        } else {
            bpe.putNull("unk_token");
        }
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", true);
        bpe.put("byte_fallback", true);
        bpe.put("ignore_merges", false);
        bpe.set("vocab", vocab);
        ArrayNode merges = bpe.putArray("merges");
        derivedMerges().forEach(m -> merges.addArray().add(m[0]).add(m[1]));
    }

    /** SentencePiece BPE ranks a merge by the score of the token it makes; ties by the ids of its two parts. */
    private List<String[]> derivedMerges() {
        List<Double> scores = file.array("tokenizer.ggml.scores", Double.class).orElseThrow(() -> corrupted(
                "has a llama tokenizer without tokenizer.ggml.scores"));
        if (scores.size() != tokens.size()) {
            throw corrupted("has " + scores.size() + " token scores for " + tokens.size() + " tokens");
        }
        Map<String, Integer> mergeable = new HashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (types[id] == NORMAL) {
                mergeable.putIfAbsent(tokens.get(id), id);
            }
        }
        record Merge(String left, String right, int leftId, int rightId, double score) {
        }
        List<Merge> merges = new ArrayList<>();
        for (Map.Entry<String, Integer> e : mergeable.entrySet()) {
            String piece = e.getKey();
            int[] cuts = piece.codePoints().toArray();
            int offset = 0;
            for (int i = 0; i + 1 < cuts.length; i++) {
                offset += Character.charCount(cuts[i]);
                String left = piece.substring(0, offset);
                String right = piece.substring(offset);
                Integer l = mergeable.get(left);
                Integer r = mergeable.get(right);
                if (l != null && r != null) {
                    merges.add(new Merge(left, right, l, r, scores.get(e.getValue())));
                }
            }
        }
        merges.sort(Comparator.comparingDouble(Merge::score).reversed().thenComparingInt(Merge::leftId)
                .thenComparingInt(Merge::rightId));
        return merges.stream().map(m -> new String[]{m.left(), m.right()}).toList();
    }

    private void gpt2(ObjectNode root, ObjectNode bpe, ObjectNode vocab) {
        String pre = file.string("tokenizer.ggml.pre").orElse("default");
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        switch (pre) {
            case "default", "gpt2" -> {
                root.putNull("normalizer");
                root.set("pre_tokenizer", byteLevel);
            }
            case "qwen2" -> {
                root.putObject("normalizer").put("type", "NFC"); // as Qwen2's own tokenizer.json
                ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
                ArrayNode list = seq.putArray("pretokenizers");
                ObjectNode split = list.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", QWEN2_SPLIT);
                split.put("behavior", "Isolated").put("invert", false);
                list.add(byteLevel.deepCopy().put("use_regex", false).put("trim_offsets", false));
            }
            default -> throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF pre-tokenizer '" + pre + "' of "
                    + file.path() + " is not supported (default, gpt2, qwen2 are)");
        }
        postProcessor(root, JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false));
        root.set("decoder", JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", false));
        bpe.putNull("unk_token");
        bpe.put("continuing_subword_prefix", "");
        bpe.put("end_of_word_suffix", "");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        bpe.set("vocab", vocab);
        ArrayNode merges = bpe.putArray("merges");
        for (String m : file.array("tokenizer.ggml.merges", String.class).orElseThrow(() -> corrupted(
                "has a gpt2 tokenizer without tokenizer.ggml.merges"))) {
            int space = m.indexOf(' ', 1);
            if (space < 0) {
                throw corrupted("has merge '" + m + "' without a space");
            }
            merges.addArray().add(m.substring(0, space)).add(m.substring(space + 1));
        }
    }

    /** BOS/EOS added as the GGUF flags say (llama defaults to BOS); otherwise {@code otherwise} (may be null). */
    private void postProcessor(ObjectNode root, ObjectNode otherwise) {
        boolean addBos = file.bool("tokenizer.ggml.add_bos_token").orElse(model.equals("llama"));
        boolean addEos = file.bool("tokenizer.ggml.add_eos_token").orElse(false);
        String bos = special("bos");
        String eos = special("eos");
        List<String> before = addBos && bos != null ? List.of(bos) : List.of();
        List<String> after = addEos && eos != null ? List.of(eos) : List.of();
        if (before.isEmpty() && after.isEmpty()) {
            root.set("post_processor", otherwise);
            return;
        }
        ObjectNode p = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        ArrayNode pair = p.putArray("pair");
        ObjectNode specials = p.putObject("special_tokens");
        addTemplate(single, before, "A", after, 0);
        addTemplate(pair, before, "A", after, 0);
        addTemplate(pair, before, "B", after, 1);
        for (String s : new java.util.LinkedHashSet<>(concat(before, after))) {
            ObjectNode entry = specials.putObject(s).put("id", s);
            entry.putArray("ids").add(tokens.indexOf(s));
            entry.putArray("tokens").add(s);
        }
    }

    private static void addTemplate(ArrayNode target, List<String> before, String sequence, List<String> after,
                                    int typeId) {
        before.forEach(s -> target.addObject().putObject("SpecialToken").put("id", s).put("type_id", typeId));
        target.addObject().putObject("Sequence").put("id", sequence).put("type_id", typeId);
        after.forEach(s -> target.addObject().putObject("SpecialToken").put("id", s).put("type_id", typeId));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** The HuggingFace {@code tokenizer_config.json}: special token strings and the chat template. */
    public ObjectNode tokenizerConfig() {
        ObjectNode c = JSON.createObjectNode();
        for (String kind : List.of("bos", "eos", "unk", "pad")) {
            String s = special(kind.equals("unk") ? "unknown" : kind);
            if (s != null) {
                c.put(kind + "_token", s);
            }
        }
        c.put("clean_up_tokenization_spaces", false);
        file.string("tokenizer.chat_template").ifPresent(t -> c.put("chat_template", t));
        return c;
    }

    /** The token string of {@code tokenizer.ggml.<kind>_token_id}, or null when absent or out of range. */
    private String special(String kind) {
        long id = file.integer("tokenizer.ggml." + kind + "_token_id").orElse(-1L);
        return id >= 0 && id < tokens.size() ? tokens.get((int) id) : null;
    }

    private AssistantException corrupted(String what) {
        return new AssistantException(ErrorCode.MODEL_CORRUPTED, "GGUF file " + file.path() + " " + what);
    }
}
