package dev.assistant.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the JSON files of a model directory, turning failures into typed errors that name the file. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static JsonNode read(Path file) {
        try {
            JsonNode node = MAPPER.readTree(Files.readAllBytes(file));
            if (node == null || !node.isObject()) {
                throw new AssistantException(ErrorCode.MODEL_CORRUPTED, file + " does not hold a JSON object");
            }
            return node;
        } catch (NoSuchFileException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "missing file " + file, e);
        } catch (JsonProcessingException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
