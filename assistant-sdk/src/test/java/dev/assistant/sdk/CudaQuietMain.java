package dev.assistant.sdk;

import dev.assistant.core.Assistant;
import dev.assistant.core.GenerateRequest;

import java.nio.file.Path;

/** Builds an assistant with device {@code auto} for each model directory given and generates (for CudaWarningTest). */
public final class CudaQuietMain {
    private CudaQuietMain() {
    }

    public static void main(String[] args) {
        for (String dir : args) {
            try (Assistant assistant = Assistant.builder().modelPath(Path.of(dir)).device("auto").build()) {
                System.out.println("tokens " + assistant.generate(GenerateRequest.builder().inputIds(1)
                        .maxNewTokens(3).build()).outputIds().length);
            }
        }
    }
}
