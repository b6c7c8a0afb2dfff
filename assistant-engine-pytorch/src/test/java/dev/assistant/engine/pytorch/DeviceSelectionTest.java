package dev.assistant.engine.pytorch;

import ai.djl.Device;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.DeviceSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Device selection and fallback, without needing a GPU: the number of visible CUDA devices is a parameter. */
class DeviceSelectionTest {

    @Test
    void autoPrefersTheFirstGpuAndFallsBackToCpu() {
        assertThat(DjlRuntime.resolve(DeviceSpec.AUTO, 2)).isEqualTo(Device.gpu(0));
        assertThat(DjlRuntime.resolve(DeviceSpec.AUTO, 0)).isEqualTo(Device.cpu());
    }

    @Test
    void cudaWithoutAGpuIsEngineUnavailableNamingTheArtifactToAdd() {
        assertThatThrownBy(() -> DjlRuntime.resolve(DeviceSpec.parse("cuda"), 0))
                .isInstanceOf(AssistantException.class)
                .hasMessageContaining("pytorch-native-cu124")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void cudaIndexMustBeVisible() {
        assertThat(DjlRuntime.resolve(DeviceSpec.parse("cuda:1"), 2)).isEqualTo(Device.gpu(1));
        assertThatThrownBy(() -> DjlRuntime.resolve(DeviceSpec.parse("cuda:2"), 2))
                .isInstanceOf(AssistantException.class).hasMessageContaining("cuda:0 to cuda:1");
    }

    @Test
    void cpuIsAlwaysCpuAndUnknownDevicesAreInvalidRequests() {
        assertThat(DjlRuntime.resolve(DeviceSpec.CPU, 4)).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> DeviceSpec.parse("tpu")).isInstanceOf(AssistantException.class)
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThatThrownBy(() -> DeviceSpec.parse("cuda:x")).isInstanceOf(AssistantException.class);
    }

    @Test
    void theCpuEngineStartsOfflineAndSeesNoGpuHere() {
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        assertThat(DjlRuntime.resolve(DeviceSpec.AUTO)).isEqualTo(Device.cpu()); // the CPU build of libtorch
    }
}
