package dev.assistant.cli;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The models file of {@code assistant serve --models-config FILE}, the same as repeated {@code --model NAME=DIR}
 * options and {@code --idle-unload}:
 * <pre>{"models": [{"name": "general", "path": "/models/general-v3"},
 *             {"name": "code", "path": "/models/code-v1"}],
 *  "idleUnload": "PT30M"}</pre>
 * Relative paths are resolved against the file's directory. Immutable and validated when read.
 *
 * @param models     the models, in order; names unique
 * @param idleUnload unload a model unused for this long, or null for never
 */
record ModelsConfig(List<Model> models, Duration idleUnload) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** One served model: the name clients use and where its files are. */
    record Model(String name, Path path) {
    }

    static ModelsConfig read(Path file) {
        Raw raw;
        try {
            raw = JSON.readValue(file.toFile(), Raw.class);
        } catch (MismatchedInputException e) {
            throw invalid(file, "unexpected or misplaced field at " + location(e)
                    + " (expected {\"models\": [{\"name\": ..., \"path\": ...}], \"idleUnload\": \"PT30M\"})");
        } catch (IOException e) {
            throw invalid(file, "not readable as JSON (" + e.getClass().getSimpleName() + ")");
        }
        if (raw == null || raw.models == null || raw.models.isEmpty()) {
            throw invalid(file, "\"models\" must list at least one model");
        }
        Path base = file.toAbsolutePath().getParent();
        Set<String> names = new HashSet<>();
        List<Model> models = new java.util.ArrayList<>();
        for (int i = 0; i < raw.models.size(); i++) {
            RawModel m = raw.models.get(i);
            String at = "models[" + i + "]";
            if (m == null || m.name == null || !NAME.matcher(m.name).matches()) {
                throw invalid(file, at + ".name must be 1-128 letters, digits, '.', '_', ':' or '-'");
            }
            if (!names.add(m.name)) {
                throw invalid(file, at + ".name repeats an earlier model's name");
            }
            if (m.path == null || m.path.isBlank()) {
                throw invalid(file, at + ".path is required");
            }
            models.add(new Model(m.name, base.resolve(m.path)));
        }
        return new ModelsConfig(List.copyOf(models), idleUnload(file, raw.idleUnload));
    }

    private static Duration idleUnload(Path file, String text) {
        if (text == null) {
            return null;
        }
        try {
            Duration d = Duration.parse(text);
            if (d.isNegative() || d.isZero()) {
                throw invalid(file, "idleUnload must be a positive duration");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw invalid(file, "idleUnload must be an ISO-8601 duration such as PT30M");
        }
    }

    private static String location(MismatchedInputException e) {
        StringBuilder path = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "the top level" : path.toString();
    }

    private static AssistantException invalid(Path file, String problem) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, "models config " + file + ": " + problem);
    }

    /** The file as written; validated into a {@link ModelsConfig}. */
    private static final class Raw {
        @JsonProperty
        List<RawModel> models;
        @JsonProperty
        String idleUnload;

        @JsonCreator
        Raw() {
        }
    }

    private static final class RawModel {
        @JsonProperty
        String name;
        @JsonProperty
        String path;

        @JsonCreator
        RawModel() {
        }
    }
}
