package dev.assistant.core.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a small but valid HuggingFace byte-level BPE tokenizer (GPT-2 / SmolLM layout) for the project's
 * random-weights demo models: {@code tokenizer.json} and {@code tokenizer_config.json} with a ChatML
 * {@code chat_template}.
 *
 * <p>Ids: {@value #ENDOFTEXT} = {@value #ENDOFTEXT_ID}, {@value #IM_START} = {@value #IM_START_ID},
 * {@value #IM_END} = {@value #IM_END_ID} (special added tokens), then the 256 byte symbols (ids 3..258, byte
 * order), then merged tokens up to the requested vocabulary size. The first merges are learned by BPE on a small
 * built-in English text; the rest are generated from a seeded random source (prefix token + short letter token),
 * so writing even a 49152-entry vocabulary takes milliseconds. Every byte has a token, so any text round-trips:
 * {@code decode(encode(text, false), false).equals(text)}. Same arguments, same bytes.
 *
 * <p>Config: {@code bos_token} = {@value #ENDOFTEXT}, {@code eos_token} = {@value #IM_END}, {@code unk_token} and
 * {@code pad_token} = {@value #ENDOFTEXT}; the post-processor adds no special tokens (like GPT-2 and SmolLM).
 */
public final class ByteLevelBpeTokenizerWriter {
    public static final String ENDOFTEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final int ENDOFTEXT_ID = 0;
    public static final int IM_START_ID = 1;
    public static final int IM_END_ID = 2;
    /** Three special tokens plus the 256 byte symbols. */
    public static final int MIN_VOCAB_SIZE = 259;
    public static final int MAX_VOCAB_SIZE = 1 << 20;
    public static final String CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final int MAX_TOKEN_CHARS = 12;
    private static final Pattern GPT2_PRETOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    /** Built-in training text (written for this project) for the first, realistic merges. */
    private static final String CORPUS = """
            Once upon a time, in a small town by the sea, there was a little library. Every morning the librarian \
            opened the doors, and the children came in to read. They read about the stars and the moon, about \
            animals that live in the forest, and about ships that sail across the ocean. The librarian said: \
            "A good question is the start of every answer." The children asked many questions. What is the \
            weather like today? How does a computer work? Why is the sky blue? She helped them find the books, \
            and they learned something new every day. In the afternoon the sun was warm, the wind was soft, and \
            people walked along the water. Some of them were working, some were playing, and some were simply \
            thinking about the day. The town had a market, a school, a bakery and a station where the trains \
            stopped twice an hour. When the evening came, the lights were turned on, and the people went home \
            to their families. They talked about what they had done, what they wanted to do tomorrow, and what \
            they would like to learn next. The assistant answered the user: "I can help you with that. Please \
            tell me more about the problem, and I will do my best to explain it clearly and simply." Numbers \
            like 1, 2, 3, 10, 42, 100 and 2024 appear in stories too, as do names such as Anna, Ben, Lily and Tom.
            """;

    private ByteLevelBpeTokenizerWriter() {
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (created if missing,
     * existing files replaced).
     *
     * @param vocabSize total number of ids, in [{@value #MIN_VOCAB_SIZE}, {@value #MAX_VOCAB_SIZE}]
     * @param seed      seeds the generated merges; same arguments give byte-identical files
     * @throws AssistantException INVALID_REQUEST for a bad size, INTERNAL when the files cannot be written
     */
    public static void write(Path dir, int vocabSize, long seed) {
        if (dir == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "directory must not be null");
        }
        if (vocabSize < MIN_VOCAB_SIZE || vocabSize > MAX_VOCAB_SIZE) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "vocab size must be in [" + MIN_VOCAB_SIZE + ", "
                    + MAX_VOCAB_SIZE + "], was " + vocabSize);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put(ENDOFTEXT, ENDOFTEXT_ID);
        vocab.put(IM_START, IM_START_ID);
        vocab.put(IM_END, IM_END_ID);
        String[] byteSymbols = ByteLevel.byteSymbols();
        for (String symbol : byteSymbols) {
            vocab.put(symbol, vocab.size());
        }
        List<String> merges = new ArrayList<>();
        learnMerges(vocab, merges, vocabSize);
        generateMerges(vocab, merges, vocabSize, seed, byteSymbols);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(TokenizerFiles.TOKENIZER_JSON), JSON.writeValueAsBytes(tokenizerJson(vocab, merges)));
            Files.write(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG_JSON),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerConfig()).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "cannot write tokenizer files to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Plain BPE training on the built-in text until no pair occurs twice (or the vocabulary is full). */
    private static void learnMerges(Map<String, Integer> vocab, List<String> merges, int vocabSize) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = GPT2_PRETOKENIZER.matcher(CORPUS);
        while (m.find()) {
            wordCounts.merge(ByteLevel.encode(m.group()), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.forEach((word, count) -> {
            List<String> symbols = new ArrayList<>();
            word.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
            words.add(symbols);
            counts.add(count);
        });
        while (vocab.size() < vocabSize) {
            Map<String, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> symbols = words.get(w);
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairCounts.merge(symbols.get(i) + ' ' + symbols.get(i + 1), counts.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
                int c = e.getValue();
                // ties broken by the pair's text, so the result never depends on hash order
                if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null) {
                return;
            }
            int space = best.indexOf(' ');
            String left = best.substring(0, space);
            String right = best.substring(space + 1);
            String merged = left + right;
            if (vocab.containsKey(merged)) { // same string reachable by two pair splits: merge it in the words only
                applyMerge(words, left, right, merged);
                continue;
            }
            vocab.put(merged, vocab.size());
            merges.add(best);
            applyMerge(words, left, right, merged);
        }
    }

    private static void applyMerge(List<List<String>> words, String left, String right, String merged) {
        for (List<String> symbols : words) {
            for (int i = 0; i + 1 < symbols.size(); i++) {
                if (symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                    symbols.set(i, merged);
                    symbols.remove(i + 1);
                }
            }
        }
    }

    /** Fills the vocabulary with seeded merges "token + short letter piece" (no 'Ġ' inside a token). */
    private static void generateMerges(Map<String, Integer> vocab, List<String> merges, int vocabSize, long seed,
            String[] byteSymbols) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> tokens = new ArrayList<>(vocab.keySet()).subList(3, vocab.size());
        tokens = new ArrayList<>(tokens);
        List<String> suffixes = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            if (Character.isLetterOrDigit(b) && b < 128) {
                suffixes.add(byteSymbols[b]);
            }
        }
        for (String t : tokens) {
            if (t.length() >= 2 && t.length() <= 3 && t.chars().allMatch(c -> c < 128 && Character.isLetter(c))) {
                suffixes.add(t);
            }
        }
        Set<String> seen = new HashSet<>(vocab.keySet());
        long attempts = 0;
        long maxAttempts = 200L * vocabSize + 1_000_000L;
        while (vocab.size() < vocabSize) {
            if (++attempts > maxAttempts) {
                throw new AssistantException(ErrorCode.INTERNAL, "could not generate " + vocabSize + " distinct tokens");
            }
            String left = tokens.get(random.nextInt(tokens.size()));
            String right = suffixes.get(random.nextInt(suffixes.size()));
            String merged = left + right;
            if (merged.length() > MAX_TOKEN_CHARS || !seen.add(merged)) {
                continue;
            }
            vocab.put(merged, vocab.size());
            merges.add(left + ' ' + right);
            tokens.add(merged);
        }
    }

    private static ObjectNode tokenizerJson(Map<String, Integer> vocab, List<String> merges) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of(ENDOFTEXT, IM_START, IM_END)) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(special));
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", addPrefixSpace);
        node.put("trim_offsets", trimOffsets);
        node.put("use_regex", true);
        return node;
    }

    private static ObjectNode tokenizerConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", false);
        c.put("add_eos_token", false);
        c.put("add_prefix_space", false);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        int id = 0;
        for (String special : List.of(ENDOFTEXT, IM_START, IM_END)) {
            ObjectNode t = decoder.putObject(Integer.toString(id++));
            t.put("content", special);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        c.putArray("additional_special_tokens").add(IM_START).add(IM_END);
        c.put("bos_token", ENDOFTEXT);
        c.put("eos_token", IM_END);
        c.put("unk_token", ENDOFTEXT);
        c.put("pad_token", ENDOFTEXT);
        c.put("chat_template", CHATML_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", 2048);
        c.put("tokenizer_class", "GPT2Tokenizer");
        return c;
    }
}
