package dev.assistant.core.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a model directory's files (or a GGUF model file) looked like when a model was loaded (size, modification time and file identity of
 * {@code config.json} and every {@code *.safetensors} file), to tell later whether they were replaced or rewritten
 * under the running process. Engines copy the weights at load, so a change does not affect the loaded model; it
 * means the directory no longer holds what is running, which an operator should know. Immutable.
 */
public final class ModelFiles {
    private final Path dir;
    private final Map<String, Stamp> stamps;

    private record Stamp(long size, long modified, Object fileKey) {
    }

    private ModelFiles(Path dir, Map<String, Stamp> stamps) {
        this.dir = dir;
        this.stamps = stamps;
    }

    /** The current state of {@code dir}'s model files. */
    public static ModelFiles snapshot(Path dir) {
        Map<String, Stamp> stamps = new TreeMap<>();
        if (Files.isRegularFile(dir)) { // a GGUF file is the whole model
            Stamp stamp = stamp(dir);
            if (stamp != null) {
                stamps.put(String.valueOf(dir.getFileName()), stamp);
            }
            return new ModelFiles(dir, stamps);
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(ModelFiles::isModelFile).toList()) {
                Stamp stamp = stamp(file);
                if (stamp != null) {
                    stamps.put(file.getFileName().toString(), stamp);
                }
            }
        } catch (IOException e) {
            // an unreadable directory has no stamps; changes() then reports every file that appears
        }
        return new ModelFiles(dir, stamps);
    }

    private static boolean isModelFile(Path file) {
        String name = file.getFileName().toString();
        return name.equals("config.json") || name.endsWith(".safetensors");
    }

    private static Stamp stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The files that differ now from this snapshot, one line each ({@code model.safetensors: rewritten in place},
     * {@code ... replaced}, {@code ... removed}, {@code ... added}); empty when nothing changed.
     */
    public List<String> changes() {
        ModelFiles now = snapshot(dir);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Stamp> e : stamps.entrySet()) {
            Stamp later = now.stamps.get(e.getKey());
            Stamp before = e.getValue();
            if (later == null) {
                out.add(e.getKey() + ": removed");
            } else if (!Objects.equals(later.fileKey(), before.fileKey())) {
                out.add(e.getKey() + ": replaced by another file");
            } else if (later.size() != before.size() || later.modified() != before.modified()) {
                out.add(e.getKey() + ": rewritten in place (" + before.size() + " -> " + later.size() + " bytes)");
            }
        }
        for (String name : now.stamps.keySet()) {
            if (!stamps.containsKey(name)) {
                out.add(name + ": added");
            }
        }
        return out;
    }

    public Path directory() {
        return dir;
    }
}
