package dev.assistant.sdk;

import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a CPU-only machine with a CUDA toolkit but no driver (as these build machines are), DJL's CUDA probe logs
 * "Failed to detect GPU count" whenever it loads a native library (the tokenizer's, libtorch's). With the CPU build
 * of libtorch the SDK keeps it out of the host's log: {@code auto}-device assistants on both engines log no CUDA
 * line. Run in a fresh JVM, as a host starts: DJL's state is process-wide.
 */
class CudaWarningTest {
    @Test
    void autoDeviceAssistantsOnACpuBuildLogNoCudaWarning() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", System.getProperty("java.class.path"), CudaQuietMain.class.getName(),
                SharedModels.model("tinystories-gpt2-mini").toString(), SharedModels.model("stories260K").toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("engine 'pytorch' loads").contains("engine 'native' loads")
                .contains("tokens 3").doesNotContain("Failed to detect GPU count").doesNotContain("CUDA driver");
    }
}
