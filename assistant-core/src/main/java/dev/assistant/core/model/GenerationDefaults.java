package dev.assistant.core.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What {@code generation_config.json} says about stopping: the end-of-sequence ids. Every id listed there or in
 * config.json ends generation (Llama 3 lists several).
 */
public record GenerationDefaults(Set<Integer> eosTokenIds) {
    public GenerationDefaults {
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    static GenerationDefaults read(Path dir, ModelConfig config) {
        Set<Integer> eos = new LinkedHashSet<>(config.eosTokenIds());
        Path file = dir.resolve("generation_config.json");
        if (Files.isRegularFile(file)) {
            JsonNode root = Json.read(file);
            JsonNode n = root.get("eos_token_id");
            if (n != null && n.isIntegralNumber()) {
                eos.add(n.asInt());
            } else if (n != null && n.isArray()) {
                n.forEach(e -> eos.add(e.asInt()));
            }
        }
        eos.removeIf(id -> id < 0 || id >= config.vocabSize());
        return new GenerationDefaults(eos);
    }
}
