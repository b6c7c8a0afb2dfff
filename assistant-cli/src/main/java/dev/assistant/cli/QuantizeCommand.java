package dev.assistant.cli;

import dev.assistant.core.quantize.ModelQuantizer;
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

/** {@code assistant quantize}: writes an INT8 copy of a model directory that loads without re-quantizing. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write an INT8 copy of a HuggingFace model directory (symmetric, per group or per channel).")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the float model directory")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR2", description = "new (or empty) output directory")
    Path out;

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
        QuantScheme scheme = groupSize == 0 ? QuantScheme.perChannel() : QuantScheme.perGroup(groupSize);
        long start = System.nanoTime();
        int[] lastPercent = {-1};
        new ModelQuantizer(scheme, !floatEmbeddings).quantize(model, this.out, (done, total, name) -> {
            int percent = done * 100 / total;
            if (percent != lastPercent[0] && (percent % 5 == 0 || done == total)) {
                lastPercent[0] = percent;
                err.printf("quantizing: %3d%% (%d/%d tensors, last %s)%n", percent, done, total, name);
                err.flush();
            }
        });
        long before = Files.size(model.resolve("model.safetensors").toFile().exists() ? model.resolve("model.safetensors")
                : model.resolve("model.safetensors.index.json"));
        long after = Files.size(this.out.resolve("model.safetensors"));
        out.printf("wrote %s (%s, %.1f MB of weights, from %.1f MB) in %.1f s%n", this.out, scheme.name(), after / 1e6,
                before / 1e6, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
