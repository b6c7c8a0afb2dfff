package dev.assistant.core.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.assistant.core.gguf.GgufFile;
import dev.assistant.core.gguf.GgufTokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads the HuggingFace tokenizer files of a model directory into plain Java data: the vocabulary (from
 * {@code tokenizer.json}, which the native tokenizer does not expose), the special tokens and the chat templates.
 */
final class TokenizerFiles {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    static final String SPECIAL_TOKENS_MAP_JSON = "special_tokens_map.json";
    static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";
    static final String CHAT_TEMPLATE_JSON = "chat_template.json";
    static final String DEFAULT_TEMPLATE_NAME = "default";

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * For streaming tokenizer.json: vocabulary tokens are JSON field names, and interning/canonicalizing 150k of
     * them (Jackson's default) costs seconds.
     */
    private static final JsonFactory VOCAB_JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    /** The tokenizer.json file, or the GGUF file the tokenizer comes from (see {@link #tokenizerJsonBytes}). */
    final Path tokenizerJson;
    /** The tokenizer.json built in memory from a GGUF file's metadata; null for a model directory. */
    final byte[] tokenizerJsonBytes;
    final String[] idToToken;
    final Map<String, Integer> tokenToId;
    final SpecialTokens specialTokens;
    final boolean cleanUpTokenizationSpaces;
    /** Template name to Jinja source, in file order; "default" is the one HF uses when none is named. */
    final Map<String, String> chatTemplates;
    /** Every special-token attribute of the config (bos_token, eos_token, ..., additional_special_tokens). */
    final Map<String, Object> specialTokenStrings;
    /** Ids of the added tokens (special or not): they are matched literally, never produced by the model's merges. */
    final java.util.Set<Integer> addedIds;

    private TokenizerFiles(Path tokenizerJson, byte[] tokenizerJsonBytes, String[] idToToken, Map<String, Integer> tokenToId,
            SpecialTokens specialTokens, boolean cleanUp, Map<String, String> chatTemplates,
            Map<String, Object> specialTokenStrings, java.util.Set<Integer> addedIds) {
        this.addedIds = java.util.Set.copyOf(addedIds);
        this.tokenizerJson = tokenizerJson;
        this.tokenizerJsonBytes = tokenizerJsonBytes;
        this.idToToken = idToToken;
        this.tokenToId = tokenToId;
        this.specialTokens = specialTokens;
        this.cleanUpTokenizationSpaces = cleanUp;
        this.chatTemplates = chatTemplates;
        this.specialTokenStrings = specialTokenStrings;
    }

    static TokenizerFiles read(Path modelDir) {
        if (modelDir == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "model directory must not be null");
        }
        if (Files.isRegularFile(modelDir)) {
            return readGguf(modelDir);
        }
        if (!Files.isDirectory(modelDir)) {
            throw new AssistantException(ErrorCode.MODEL_NOT_FOUND, "model directory not found: " + modelDir);
        }
        Path tokenizerJson = modelDir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID,
                    "missing " + TOKENIZER_JSON + " in " + modelDir + " (only HuggingFace fast tokenizers are supported)");
        }
        JsonNode config = readOptionalJson(modelDir.resolve(TOKENIZER_CONFIG_JSON));
        JsonNode specialMap = readOptionalJson(modelDir.resolve(SPECIAL_TOKENS_MAP_JSON));
        return assemble(tokenizerJson, null, config, specialMap, readChatTemplates(modelDir, config));
    }

    /** A GGUF file: tokenizer.json and tokenizer_config.json built from its metadata (see {@link GgufTokenizer}). */
    private static TokenizerFiles readGguf(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufTokenizer tokenizer = GgufTokenizer.of(gguf);
            byte[] json = JSON.writeValueAsBytes(tokenizer.tokenizerJson());
            JsonNode config = tokenizer.tokenizerConfig();
            Map<String, String> templates = new LinkedHashMap<>();
            addTemplates(file, config.path("chat_template"), templates);
            return assemble(file, json, config, null, Collections.unmodifiableMap(templates));
        } catch (JsonProcessingException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "cannot write the tokenizer of " + file, e);
        }
    }

    private static TokenizerFiles assemble(Path tokenizerJson, byte[] tokenizerJsonBytes, JsonNode config,
                                           JsonNode specialMap, Map<String, String> templates) {
        Map<String, Integer> tokenToId = new HashMap<>();
        Map<Integer, Boolean> addedSpecial = new HashMap<>();
        readVocab(tokenizerJson, tokenizerJsonBytes, tokenToId, addedSpecial);
        int maxId = -1;
        for (int id : tokenToId.values()) {
            maxId = Math.max(maxId, id);
        }
        if (maxId < 0) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, TOKENIZER_JSON + " has an empty vocabulary: " + tokenizerJson);
        }
        String[] idToToken = new String[maxId + 1];
        tokenToId.forEach((token, id) -> {
            // several strings may share an id only in broken files; keep the first deterministic choice
            if (idToToken[id] == null || token.compareTo(idToToken[id]) < 0) {
                idToToken[id] = token;
            }
        });

        // HF: tokenizer_config.json gives the init kwargs; special_tokens_map.json entries override them.
        Map<String, Object> specialStrings = new LinkedHashMap<>();
        collectSpecialStrings(config, specialStrings);
        collectSpecialStrings(specialMap, specialStrings);

        int[] specialIds = addedSpecial.entrySet().stream().filter(Map.Entry::getValue).mapToInt(Map.Entry::getKey).toArray();
        SpecialTokens specialTokens = new SpecialTokens(
                special(specialStrings, "bos_token", tokenToId),
                special(specialStrings, "eos_token", tokenToId),
                special(specialStrings, "unk_token", tokenToId),
                special(specialStrings, "pad_token", tokenToId),
                specialIds);
        // transformers >= 4.45 defaults this to false when the config does not say.
        boolean cleanUp = config != null && config.path("clean_up_tokenization_spaces").asBoolean(false);
        // not Map.copyOf: its open addressing takes seconds on 150k similar token strings
        return new TokenizerFiles(tokenizerJson, tokenizerJsonBytes, idToToken, Collections.unmodifiableMap(tokenToId),
                specialTokens, cleanUp, templates, specialStrings, addedSpecial.keySet());
    }

    /**
     * Streams {@code model.vocab} and {@code added_tokens} out of tokenizer.json, skipping the (large) merges: a
     * tree parse of a 150k-vocabulary file costs seconds and hundreds of MB.
     */
    private static void readVocab(Path file, byte[] bytes, Map<String, Integer> tokenToId,
                                  Map<Integer, Boolean> addedSpecial) {
        boolean sawVocab = false;
        try (JsonParser p = bytes != null ? VOCAB_JSON.createParser(bytes) : VOCAB_JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw corrupted(file, "not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("model") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String modelField = p.currentName();
                        JsonToken v = p.nextToken();
                        if (modelField.equals("vocab")) {
                            readModelVocab(file, p, v, tokenToId);
                            sawVocab = true;
                        } else {
                            p.skipChildren();
                        }
                    }
                } else if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
                    JsonNode added = JSON.readTree(p); // small: a few hundred entries at most
                    readAddedTokens(file, added, tokenToId, addedSpecial);
                } else {
                    p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED,
                    "cannot parse " + file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!sawVocab) {
            throw corrupted(file, "no model.vocab");
        }
    }

    private static void readModelVocab(Path file, JsonParser p, JsonToken start, Map<String, Integer> tokenToId)
            throws IOException {
        if (start == JsonToken.START_OBJECT) { // BPE, WordPiece, WordLevel: {"token": id}
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() < 0) {
                    throw corrupted(file, "vocab entry '" + token + "' has no valid id");
                }
                tokenToId.put(token, p.getIntValue());
            }
        } else if (start == JsonToken.START_ARRAY) { // Unigram: [[piece, score], ...], id = position
            int id = 0;
            while (p.nextToken() == JsonToken.START_ARRAY) {
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw corrupted(file, "unigram vocab entry " + id + " is not [piece, score]");
                }
                tokenToId.putIfAbsent(p.getText(), id++);
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    p.skipChildren();
                }
            }
        } else {
            throw corrupted(file, "model.vocab is neither an object nor a list");
        }
    }

    private static void readAddedTokens(Path file, JsonNode addedTokens, Map<String, Integer> tokenToId,
            Map<Integer, Boolean> addedSpecial) {
        for (JsonNode added : addedTokens) {
            String content = added.path("content").asText(null);
            if (content == null || !added.path("id").canConvertToInt() || added.path("id").asInt() < 0) {
                throw corrupted(file, "added token without content or id: " + added);
            }
            int id = added.path("id").asInt();
            tokenToId.put(content, id);
            addedSpecial.put(id, added.path("special").asBoolean(false));
        }
    }

    private static void collectSpecialStrings(JsonNode node, Map<String, Object> out) {
        if (node == null) {
            return;
        }
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token",
                "mask_token")) {
            if (node.has(key)) {
                String value = tokenContent(node.get(key));
                if (value == null) {
                    out.remove(key);
                } else {
                    out.put(key, value);
                }
            }
        }
        if (node.path("additional_special_tokens").isArray()) {
            List<String> extra = new ArrayList<>();
            for (JsonNode t : node.get("additional_special_tokens")) {
                String value = tokenContent(t);
                if (value != null) {
                    extra.add(value);
                }
            }
            out.put("additional_special_tokens", List.copyOf(extra));
        }
    }

    /** A special token is either a string or a serialized AddedToken {"content": ...}; null/empty means none. */
    private static String tokenContent(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        String value = node.isTextual() ? node.asText() : node.path("content").asText(null);
        return value == null || value.isEmpty() ? null : value;
    }

    private static SpecialToken special(Map<String, Object> strings, String key, Map<String, Integer> tokenToId) {
        Object value = strings.get(key);
        if (!(value instanceof String s)) {
            return null;
        }
        Integer id = tokenToId.get(s);
        return new SpecialToken(s, id == null ? OptionalInt.empty() : OptionalInt.of(id));
    }

    /**
     * Newer transformers save the template as {@code chat_template.jinja} (or {@code chat_template.json}); when such a
     * file exists it wins over {@code tokenizer_config.json}'s {@code chat_template}, as in HF.
     */
    private static Map<String, String> readChatTemplates(Path dir, JsonNode config) {
        Map<String, String> templates = new LinkedHashMap<>();
        Path jinja = dir.resolve(CHAT_TEMPLATE_JINJA);
        Path json = dir.resolve(CHAT_TEMPLATE_JSON);
        if (Files.isRegularFile(jinja)) {
            templates.put(DEFAULT_TEMPLATE_NAME, readText(jinja));
        } else if (Files.isRegularFile(json)) {
            addTemplates(json, readJson(json).path("chat_template"), templates);
        } else if (config != null) {
            addTemplates(dir.resolve(TOKENIZER_CONFIG_JSON), config.path("chat_template"), templates);
        }
        return Collections.unmodifiableMap(templates);
    }

    private static void addTemplates(Path file, JsonNode node, Map<String, String> out) {
        if (node.isTextual()) {
            out.put(DEFAULT_TEMPLATE_NAME, node.asText());
        } else if (node.isArray()) { // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]
            for (JsonNode entry : node) {
                String name = entry.path("name").asText(null);
                String template = entry.path("template").asText(null);
                if (name == null || template == null) {
                    throw corrupted(file, "chat_template list entries need 'name' and 'template'");
                }
                out.put(name, template);
            }
        } else if (!node.isMissingNode() && !node.isNull()) {
            throw corrupted(file, "chat_template must be a string or a list of {name, template}");
        }
    }

    private static JsonNode readOptionalJson(Path file) {
        return Files.isRegularFile(file) ? readJson(file) : null;
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw corrupted(file, "not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED,
                    "cannot parse " + file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String readText(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, file + " is not valid UTF-8", e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static AssistantException corrupted(Path file, String what) {
        return new AssistantException(ErrorCode.MODEL_CORRUPTED, "invalid " + file + ": " + what);
    }
}
