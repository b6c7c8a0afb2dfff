package dev.assistant.sdk;

import dev.assistant.core.Assistant;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A routine {@code cp} of a new model version over the running one's files (truncate, then write in place) used to
 * kill the JVM with SIGBUS, as weights were read straight from the memory map. Every engine now copies its weights
 * at load: the running model keeps answering as before, and the assistant reports the changed files.
 */
class ModelFileReplacedTest {
    @TempDir
    Path dir;

    private static GenerateRequest request() {
        return GenerateRequest.builder().inputIds(1).maxNewTokens(40).sampling(SamplingParams.GREEDY).build();
    }

    @ParameterizedTest
    @CsvSource({"stories260K,native", "stories260K,pytorch", "tinystories-gpt2-mini,pytorch"})
    void truncatingAndOverwritingTheWeightsOfALoadedModelChangesNothingItComputes(String model, String backend)
            throws IOException {
        Path source = SharedModels.model(model);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path weights = dir.resolve("model.safetensors");
        long size = Files.size(weights);
        try (Assistant assistant = Assistant.builder().modelPath(dir).backend(backend).device("cpu")
                .verifyChecksums(false).build()) {
            int[] before = assistant.generate(request()).outputIds();
            assertThat(assistant.modelFileChanges()).isEmpty();

            try (FileChannel channel = FileChannel.open(weights, StandardOpenOption.WRITE)) {
                channel.truncate(0); // what cp does first
            }
            assertThat(assistant.generate(request()).outputIds()).containsExactly(before);

            byte[] junk = new byte[(int) size];
            new SplittableRandom(7).nextBytes(junk);
            try (FileChannel channel = FileChannel.open(weights, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(junk)); // then writes the new bytes in place
            }
            assertThat(assistant.generate(request()).outputIds()).containsExactly(before);
            assertThat(assistant.modelFileChanges()).singleElement().asString()
                    .startsWith("model.safetensors: rewritten in place");

            // the safe way: a new file renamed over the old one
            Path fresh = dir.resolve("model.safetensors.new");
            Files.copy(source.resolve("model.safetensors"), fresh);
            Files.move(fresh, weights, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            assertThat(assistant.modelFileChanges()).singleElement().asString()
                    .isEqualTo("model.safetensors: replaced by another file");
            assertThat(assistant.generate(request()).outputIds()).containsExactly(before);
        }
        // and a reload serves what the directory now holds
        try (Assistant reloaded = Assistant.builder().modelPath(dir).backend(backend).device("cpu").build()) {
            assertThat(reloaded.modelFileChanges()).isEmpty();
        }
    }
}
