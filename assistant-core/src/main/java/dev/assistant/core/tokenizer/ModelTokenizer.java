package dev.assistant.core.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A model's HuggingFace tokenizer ({@code tokenizer.json} through DJL's bundled native HF tokenizers library), with
 * HuggingFace semantics:
 * <ul>
 *   <li>no truncation and no padding, ever (DJL would otherwise silently cut at 512 tokens);</li>
 *   <li>{@code addSpecialTokens} per call runs the tokenizer's post-processor (e.g. Llama's BOS), like HF
 *       {@code encode(text, add_special_tokens=...)}; added tokens written literally in the text ({@code <s>},
 *       {@code <|im_start|>}) become their ids;</li>
 *   <li>{@code decode} applies {@code clean_up_tokenization_spaces} when {@code tokenizer_config.json} enables it
 *       (default off, as in transformers &gt;= 4.45);</li>
 *   <li>special tokens from {@code special_tokens_map.json} (wins) / {@code tokenizer_config.json};</li>
 *   <li>the chat template from {@code chat_template.jinja}, {@code chat_template.json} or
 *       {@code tokenizer_config.json} (a string, or a list of {name, template} where {@code default} is used).</li>
 * </ul>
 *
 * <p>Input checks keep bad input away from native code: text must be valid UTF-16 (no unpaired surrogates), ids
 * must be in {@code [0, vocabSize())}; violations are INVALID_REQUEST. Native failures become INTERNAL.
 *
 * <p>Thread-safe. {@link #close()} waits for running calls, then frees the native tokenizer; later calls fail with
 * ENGINE_UNAVAILABLE.
 */
public final class ModelTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer hfTokenizer;
    private final TokenizerFiles files;
    private final Map<String, ChatTemplate> templates;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;
    private volatile byte[][] tokenBytes;

    private ModelTokenizer(HuggingFaceTokenizer tokenizer, TokenizerFiles files, Map<String, ChatTemplate> templates) {
        this.hfTokenizer = tokenizer;
        this.files = files;
        this.templates = templates;
    }

    /** {@link #load(Path, Clock)} with the system clock for {@code strftime_now}. */
    public static ModelTokenizer load(Path modelDir) {
        return load(modelDir, Clock.systemDefaultZone());
    }

    /**
     * Loads the tokenizer files of a HuggingFace model directory.
     *
     * @param modelDir directory with {@code tokenizer.json} (required), {@code tokenizer_config.json},
     *                 {@code special_tokens_map.json}, {@code chat_template.jinja}/{@code chat_template.json}
     *                 (optional); or a GGUF file, whose tokenizer metadata is used (see {@code GgufTokenizer})
     * @param clock    the clock chat templates read through {@code strftime_now}
     * @throws AssistantException MODEL_NOT_FOUND (no such directory), MODEL_INVALID (missing tokenizer.json, chat
     *                            template that does not parse), MODEL_CORRUPTED (unparseable file); messages name the
     *                            file
     */
    public static ModelTokenizer load(Path modelDir, Clock clock) {
        Objects.requireNonNull(clock, "clock");
        TokenizerFiles files = TokenizerFiles.read(modelDir);
        Map<String, ChatTemplate> templates = new LinkedHashMap<>();
        files.chatTemplates.forEach((name, source) -> {
            ChatTemplate.Builder builder = ChatTemplate.builder(source).name(name).clock(clock);
            files.specialTokenStrings.forEach(builder::specialToken);
            templates.put(name, builder.build());
        });
        HuggingFaceTokenizer tokenizer;
        try {
            dev.assistant.core.djl.CudaProbe.quietUnlessCudaLibtorch(); // before DJL loads the tokenizer's library
            Map<String, String> options = Map.of(
                    "addSpecialTokens", "true",
                    "withOverflowingTokens", "false",
                    "truncation", "false",
                    "padding", "false");
            tokenizer = files.tokenizerJsonBytes != null
                    ? HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(files.tokenizerJsonBytes), options)
                    : HuggingFaceTokenizer.newInstance(files.tokenizerJson, options);
        } catch (IOException | RuntimeException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED,
                    "the tokenizer library cannot load " + files.tokenizerJson + ": " + e.getMessage(), e);
        }
        // Fail fast if a DJL upgrade changes the option names: silent truncation would corrupt long prompts.
        if (!"DO_NOT_TRUNCATE".equals(tokenizer.getTruncation()) || !"DO_NOT_PAD".equals(tokenizer.getPadding())) {
            String state = tokenizer.getTruncation() + "/" + tokenizer.getPadding();
            tokenizer.close();
            throw new AssistantException(ErrorCode.INTERNAL, "tokenizer truncation/padding could not be disabled: " + state);
        }
        return new ModelTokenizer(tokenizer, files, Map.copyOf(templates));
    }

    /**
     * Encodes text to ids.
     *
     * @param addSpecialTokens run the post-processor (Llama: prepend BOS; GPT-2/Qwen: nothing)
     * @throws AssistantException INVALID_REQUEST for null text or unpaired surrogates
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        checkText(text);
        lock.readLock().lock();
        try {
            checkOpen();
            long[] ids = hfTokenizer.encode(text, addSpecialTokens, false).getIds();
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = (int) ids[i];
            }
            return out;
        } catch (AssistantException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "tokenizer failed to encode text of length " + text.length(), e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Decodes ids to text, as HF {@code decode(ids, skip_special_tokens=...)}.
     *
     * @throws AssistantException INVALID_REQUEST when an id is outside {@code [0, vocabSize())}
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        String raw = rawDecode(ids, skipSpecialTokens);
        return files.cleanUpTokenizationSpaces ? CleanUpTokenizationSpaces.apply(raw) : raw;
    }

    /** Decode without clean-up: what the streaming decoder diffs. */
    String rawDecode(int[] ids, boolean skipSpecialTokens) {
        if (ids == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "ids must not be null");
        }
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i]);
            longs[i] = ids[i];
        }
        if (longs.length == 0) {
            return "";
        }
        lock.readLock().lock();
        try {
            checkOpen();
            return hfTokenizer.decode(longs, skipSpecialTokens);
        } catch (AssistantException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "tokenizer failed to decode " + ids.length + " ids", e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * A new incremental decoder for one generation stream; see {@link StreamingDecoder} for the contract.
     *
     * @param skipSpecialTokens as in {@link #decode(int[], boolean)}
     */
    public StreamingDecoder newStreamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens, files.cleanUpTokenizationSpaces);
    }

    /** Number of ids: highest id of the vocabulary or added tokens, plus one. Valid ids are {@code [0, vocabSize())}. */
    public int vocabSize() {
        return files.idToToken.length;
    }

    /** The id of a vocabulary or added token given as its exact string (e.g. {@code "<|im_end|>"}). */
    public OptionalInt tokenToId(String token) {
        Integer id = token == null ? null : files.tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token string of an id (raw vocabulary form, e.g. {@code "▁the"} or {@code "Ġthe"}), if the id exists. */
    public Optional<String> idToToken(int id) {
        return id < 0 || id >= files.idToToken.length ? Optional.empty() : Optional.ofNullable(files.idToToken[id]);
    }

    /**
     * The exact bytes each token adds to the decoded text (a partial UTF-8 character for some tokens), or null for
     * added tokens; indexed by id, {@link #vocabSize()} entries. Derived once (and checked against this
     * tokenizer's decoding), then cached; the returned arrays are copies.
     *
     * @throws AssistantException INVALID_REQUEST when the vocabulary is neither byte-level nor SentencePiece-style
     */
    public byte[][] tokenBytes() {
        byte[][] table = tokenBytesTable();
        byte[][] copy = new byte[table.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = table[i] == null ? null : table[i].clone();
        }
        return copy;
    }

    /**
     * The bytes {@code id} adds to the decoded text ({@link #tokenBytes()}); for an added token, the UTF-8 of its
     * content.
     *
     * @throws AssistantException INVALID_REQUEST for an id outside the vocabulary or an unsupported vocabulary
     */
    public byte[] tokenBytes(int id) {
        checkId(id);
        byte[] b = tokenBytesTable()[id];
        if (b != null) {
            return b.clone();
        }
        String token = files.idToToken[id];
        return token == null ? new byte[0] : token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private byte[][] tokenBytesTable() {
        byte[][] table = tokenBytes;
        if (table == null) {
            synchronized (this) {
                table = tokenBytes;
                if (table == null) {
                    table = TokenBytes.derive(this, files);
                    tokenBytes = table;
                }
            }
        }
        return table;
    }

    public SpecialTokens specialTokens() {
        return files.specialTokens;
    }

    /** Whether decoding applies HF's {@code clean_up_tokenization_spaces}. */
    public boolean cleansUpTokenizationSpaces() {
        return files.cleanUpTokenizationSpaces;
    }

    /** The model's default chat template (HF's choice: the only one, or the one named {@code default}). */
    public Optional<ChatTemplate> chatTemplate() {
        ChatTemplate t = templates.get(TokenizerFiles.DEFAULT_TEMPLATE_NAME);
        return Optional.ofNullable(t);
    }

    /** A named chat template (e.g. {@code tool_use}) when the config lists several. */
    public Optional<ChatTemplate> chatTemplate(String name) {
        return Optional.ofNullable(templates.get(name));
    }

    public Set<String> chatTemplateNames() {
        return templates.keySet();
    }

    /** The chat template, or {@link PlainChatFormat} when the model has none. */
    public ChatFormat chatFormat() {
        return chatTemplate().<ChatFormat>map(t -> t).orElse(PlainChatFormat.instance());
    }

    /**
     * Renders the conversation with {@link #chatFormat()} and encodes it like HF {@code apply_chat_template(...,
     * tokenize=True)}: a chat template's output is encoded without adding special tokens (the template writes BOS
     * itself, so it is never doubled); the plain fallback is encoded with the tokenizer's default special tokens.
     */
    public int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatFormat format = chatFormat();
        return encode(format.render(messages, addGenerationPrompt), format.addSpecialTokensWhenEncoding());
    }

    /** Validates an id before it reaches native code. */
    void checkId(int id) {
        if (id < 0 || id >= files.idToToken.length) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "token id " + id + " is outside the vocabulary [0, " + files.idToToken.length + ")");
        }
    }

    private static void checkText(String text) {
        if (text == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "text must not be null");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST,
                        "text contains an unpaired UTF-16 surrogate at index " + i);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the tokenizer is closed");
        }
    }

    /** Frees the native tokenizer after running calls finish. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                hfTokenizer.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "ModelTokenizer[" + files.tokenizerJson + ", vocab=" + vocabSize() + ", templates=" + templates.keySet() + "]";
    }
}
