package dev.assistant.cli;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.quantize.BlockModelQuantizer;
import dev.assistant.core.quantize.ModelQuantizer;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.QuantScheme;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code assistant quantize}: writes an INT8 or 4-bit copy of a model directory that loads without re-quantizing. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write an INT8 (symmetric, per group or per channel) or 4-bit (ggml Q4_0, Llama family, native "
                + "engine) copy of a HuggingFace model directory.")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the float model directory")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR2", description = "new (or empty) output directory")
    Path out;

    @Option(names = "--dtype", defaultValue = "int8", description = "int8 (default) or q4")
    String dtype;

    @Option(names = "--head", defaultValue = "q4_0",
            description = "with --dtype q4: the embedding table and output head as q4_0 (default), q8_0 or f32")
    String head;

    @Option(names = "--group-size", defaultValue = "0",
            description = "0 (default: one scale per output channel, computed by libtorch's fbgemm on CPUs), "
                    + "or 32, 64, 128 (finer scales, computed by the slower Java kernel)")
    int groupSize;

    @Option(names = "--float-embeddings", description = "keep an untied embedding table and output head in float")
    boolean floatEmbeddings;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        int[] lastPercent = {-1};
        ModelQuantizer.Progress progress = (done, total, name) -> {
            int percent = done * 100 / total;
            if (percent != lastPercent[0] && (percent % 5 == 0 || done == total)) {
                lastPercent[0] = percent;
                err.printf("quantizing: %3d%% (%d/%d tensors, last %s)%n", percent, done, total, name);
                err.flush();
            }
        };
        String method;
        switch (dtype) {
            case "int8" -> {
                QuantScheme scheme = groupSize == 0 ? QuantScheme.perChannel() : QuantScheme.perGroup(groupSize);
                new ModelQuantizer(scheme, !floatEmbeddings).quantize(model, this.out, progress);
                method = scheme.name();
            }
            case "q4" -> {
                BlockFormat table = switch (head) {
                    case "q4_0" -> BlockFormat.Q4_0;
                    case "q8_0" -> BlockFormat.Q8_0;
                    case "f32" -> null;
                    default -> throw new AssistantException(ErrorCode.INVALID_REQUEST,
                            "--head must be q4_0, q8_0 or f32, not " + head);
                };
                new BlockModelQuantizer(table).quantize(model, this.out, progress);
                method = "q4_0 (table and head " + head + ")";
            }
            default -> throw new AssistantException(ErrorCode.INVALID_REQUEST, "--dtype must be int8 or q4, not " + dtype);
        }
        long before = Files.size(model.resolve("model.safetensors").toFile().exists() ? model.resolve("model.safetensors")
                : model.resolve("model.safetensors.index.json"));
        long after = Files.size(this.out.resolve("model.safetensors"));
        out.printf("wrote %s (%s, %.1f MB of weights, from %.1f MB) in %.1f s%n", this.out, method, after / 1e6,
                before / 1e6, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
