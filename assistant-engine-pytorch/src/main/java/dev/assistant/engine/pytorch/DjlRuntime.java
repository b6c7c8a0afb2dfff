package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.DeviceSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Starts DJL's PyTorch engine offline and resolves devices.
 *
 * <p>DJL must be told it is offline before its engine class initialises, otherwise it tries to download a native
 * library and to reach a telemetry endpoint. libtorch's thread pool is process-wide, so the thread count is too.
 */
final class DjlRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(DjlRuntime.class);
    private static final String CUDA_ARTIFACT = "ai.djl.pytorch:pytorch-native-cu124:2.5.1 (classifier linux-x86_64) "
            + "with ai.djl.pytorch:pytorch-jni:2.5.1-0.33.0 in place of pytorch-native-cpu";
    private static volatile Engine engine;

    private DjlRuntime() {
    }

    /** The PyTorch engine, started offline on first use. */
    static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (DjlRuntime.class) {
                e = engine;
                if (e == null) {
                    e = start();
                    engine = e;
                }
            }
        }
        return e;
    }

    private static Engine start() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // DJL otherwise reports usage over the network on engine start.
        if (System.getProperty("ai.djl.telemetry.disable") == null) {
            System.setProperty("ai.djl.telemetry.disable", "true");
        }
        dev.assistant.core.djl.CudaProbe.quietUnlessCudaLibtorch();
        try {
            Engine e = Engine.getEngine("PyTorch");
            if (e == null) {
                throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE,
                        "DJL's PyTorch engine is not on the classpath; add ai.djl.pytorch:pytorch-engine");
            }
            return e;
        } catch (AssistantException ex) {
            throw ex;
        } catch (RuntimeException | LinkageError ex) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "cannot start the PyTorch engine offline ("
                    + ex.getMessage() + "); the classpath needs ai.djl.pytorch:pytorch-jni and a pytorch-native-* artifact "
                    + "matching the platform", ex);
        }
    }

    /**
     * How INT8 layers compute on this host, for diagnostics: per-channel layers on libtorch's fbgemm (with the
     * activation grid its CPU allows), per-group layers on the Java kernel.
     */
    static String int8ComputeDescription() {
        String perGroup = "per-group layers on the Java kernel";
        return Int8LinearModule.unusableBecause()
                .map(reason -> "INT8 layers on the Java kernel (the fbgemm module does not run here: " + reason + ")")
                .orElseGet(() -> "per-channel INT8 layers on libtorch fbgemm (" + (Int8LinearModule.reduceRange()
                        ? "no VNNI: 7-bit activation grid" : "VNNI: 8-bit activation grid")
                        + " per row, plus a residual pass for the MLP's output projection); " + perGroup);
    }

    /**
     * How a forward pass runs on this host, for diagnostics: Llama layers as TorchScript modules or DJL operations,
     * GPT-2's attention batched in one call per layer (or per sequence).
     */
    static String layersDescription() {
        Optional<String> attention = Attention.unusableBecause();
        return "Llama layers: " + libtorchLlama() + "; GPT-2 " + (attention.isEmpty()
                ? "attention one native call per layer for the whole batch"
                : "attention per sequence (the batched module does not run here: " + attention.get() + ")");
    }

    private static String libtorchLlama() {
        if (Attention.unusableBecause().isPresent()) {
            return "separate DJL operations";
        }
        Optional<String> float32 = ScriptedLlamaLayer.unusableBecause(ShippedModule.FLOAT_LLAMA_LAYER);
        Optional<String> int8 = ScriptedLlamaLayer.unusableBecause(ShippedModule.INT8_LLAMA_LAYER);
        return float32.isEmpty() && int8.isEmpty() ? "one TorchScript call per layer"
                : "separate DJL operations (" + float32.or(() -> int8).orElseThrow() + ")";
    }

    /**
     * Sets libtorch's intra-op thread count. This setting is process-wide (libtorch has one pool): the PyTorch
     * engine documents that loading a model sets it, and it is the only process-wide setting the SDK changes.
     */
    static void setThreads(int threads) {
        engine();
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }

    /**
     * The DJL device for {@code spec}. libtorch is asked how many CUDA devices it sees only when its natives are a
     * CUDA build: on a CPU build the answer is 0 anyway, and asking makes DJL log a "Failed to detect GPU count"
     * warning on every machine with a CUDA toolkit but no driver.
     *
     * @throws AssistantException {@code ENGINE_UNAVAILABLE} when CUDA is asked for and not present, saying which
     *                            artifact to add
     */
    static Device resolve(DeviceSpec spec) {
        return resolve(spec, LibtorchNatives.here().cuda() ? engine().getGpuCount() : 0);
    }

    /** Device selection given the number of visible CUDA devices; separate so it can be tested without a GPU. */
    static Device resolve(DeviceSpec spec, int gpuCount) {
        switch (spec.kind()) {
            case CPU:
                return Device.cpu();
            case CUDA:
                if (gpuCount == 0) {
                    throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "device " + spec + " was requested but no "
                            + "CUDA device is usable: either the machine has no NVIDIA GPU/driver, or the classpath holds "
                            + "the CPU build of libtorch. Add " + CUDA_ARTIFACT + ", or use device 'auto' or 'cpu'.");
                }
                if (spec.index() >= gpuCount) {
                    throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "device " + spec + " was requested but only "
                            + gpuCount + " CUDA device(s) are visible (cuda:0 to cuda:" + (gpuCount - 1) + ")");
                }
                return Device.gpu(spec.index());
            case AUTO:
            default:
                if (gpuCount > 0) {
                    return Device.gpu(0);
                }
                LOG.debug("device auto: no CUDA device visible, running on CPU");
                return Device.cpu();
        }
    }
}
