package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * A TorchScript module shipped in this jar, made by {@code src/main/python/make_torchscript_modules.py}, which
 * stores its own SHA-256 in each file (checked by a test). The file is read once from the class path; every
 * {@link #load} makes a fresh module owned by the given manager.
 */
final class ShippedModule {
    static final ShippedModule INT8_LINEAR = new ShippedModule("int8_linear");
    static final ShippedModule RAGGED_ATTENTION = new ShippedModule("ragged_attention");
    static final ShippedModule INT8_LLAMA_LAYER = new ShippedModule("int8_llama_layer");
    static final ShippedModule FLOAT_LLAMA_LAYER = new ShippedModule("float_llama_layer");

    private final String name;
    private volatile byte[] archive;

    private ShippedModule(String name) {
        this.name = name;
    }

    /** The resource's file name, next to this class. */
    String resource() {
        return name + ".pt";
    }

    /** Where the generator's SHA-256 is stored inside the archive. */
    String generatorDigestEntry() {
        return name + "/extra/generator.sha256";
    }

    /** The file's bytes, read once from the class path. */
    byte[] archive() {
        byte[] bytes = archive;
        if (bytes == null) {
            try (InputStream in = ShippedModule.class.getResourceAsStream(resource())) {
                if (in == null) {
                    throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, resource()
                            + " is missing from the class path: the assistant-core jar is incomplete");
                }
                bytes = in.readAllBytes();
                archive = bytes;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bytes;
    }

    /** A fresh module attached to {@code owner}, which closes it (and whatever native state it holds). */
    PtSymbolBlock load(NDManager owner) {
        return load(owner, archive());
    }

    /** A module made from {@code bytes} (another version of the file, for probes and tests), owned by {@code owner}. */
    PtSymbolBlock load(NDManager owner, byte[] bytes) {
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) owner, in, true, false);
            owner.attachInternal(name + "-" + UUID.randomUUID(), module);
            return module;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first line of a failure's message, for one-line reasons. */
    static String firstLine(Throwable e) {
        String message = e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        int end = message.indexOf('\n');
        return e.getClass().getSimpleName() + ": " + (end < 0 ? message : message.substring(0, end));
    }
}
