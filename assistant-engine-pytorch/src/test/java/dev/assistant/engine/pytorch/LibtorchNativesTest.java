package dev.assistant.engine.pytorch;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.EngineSupport;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * libtorch's natives are per platform: on a platform whose natives the classpath lacks, the PyTorch engine refuses
 * with the artifact to add, and loading fails with {@code ENGINE_UNAVAILABLE} naming it. Other platforms are
 * simulated by injecting {@code os.name}/{@code os.arch} (no global property is touched).
 */
class LibtorchNativesTest {
    private final ModelDirectory gpt2 = ModelDirectory.read(SharedModels.model("tinystories-gpt2-mini"), false);

    @ParameterizedTest
    @CsvSource({"Linux,aarch64,linux-aarch64", "Mac OS X,aarch64,osx-aarch64", "Windows 11,amd64,win-x86_64"})
    void anotherPlatformWithoutItsNativesIsUnavailableNamingTheArtifact(String os, String arch, String classifier) {
        LibtorchNatives natives = LibtorchNatives.detect(os, arch, getClass().getClassLoader());
        assertThat(natives.platform()).isEqualTo(classifier);
        PyTorchEngineProvider provider = new PyTorchEngineProvider(natives, false);
        String artifact = "ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier " + classifier;

        EngineSupport support = provider.support(gpt2.config(), LoadOptions.defaults());
        assertThat(support.supported()).isFalse();
        assertThat(support.reason()).contains("natives for linux-x86_64, not " + classifier).contains(artifact);
        assertThatThrownBy(() -> EngineProviders.of(List.of(provider)).load(gpt2, LoadOptions.defaults()))
                .isInstanceOf(AssistantException.class).hasMessageContaining(artifact)
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void nativesMissingFromTheClasspathAreNamed() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            LibtorchNatives natives = LibtorchNatives.detect("Linux", "amd64", empty);
            assertThat(new PyTorchEngineProvider(natives, false).support(gpt2.config(), LoadOptions.defaults())
                    .reason()).isEqualTo("libtorch's natives are not on the classpath: add "
                    + "ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier linux-x86_64");
        }
    }

    @Test
    void aPlatformDjlPublishesNoLibtorchForSaysSo() {
        LibtorchNatives natives = LibtorchNatives.detect("Mac OS X", "x86_64", getClass().getClassLoader());
        assertThat(natives.platform()).isNull();
        assertThat(new PyTorchEngineProvider(natives, false).support(gpt2.config(), LoadOptions.defaults()).reason())
                .contains("publishes no libtorch for this platform");
        assertThat(new PyTorchEngineProvider(natives, true).support(gpt2.config(), LoadOptions.defaults())
                .supported()).as("with PYTORCH_LIBRARY_PATH").isTrue();
    }

    @Test
    void thisPlatformsNativesAreFoundAndAreTheCpuBuild() {
        LibtorchNatives here = LibtorchNatives.here();
        assertThat(here.problem(false)).isEmpty();
        assertThat(here.flavor()).isEqualTo("cpu");
        assertThat(here.cuda()).isFalse();
    }
}
