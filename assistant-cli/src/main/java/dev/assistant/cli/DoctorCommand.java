package dev.assistant.cli;

import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.registry.WeightFootprint;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.generation.BatchingSettings;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code assistant doctor}: a preflight of the host with recommended settings and the reasoning behind them, and the
 * engines found with which one would load a given model and why. Reads only local facts (no network); the PyTorch
 * engine's diagnostics start libtorch to say how it computes here.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, description = "Check this host and recommend settings.")
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR",
            description = "say which engine would load this model, and size the batch recommendation for it; "
                    + "repeat it (as assistant serve takes it) to check that the models fit in memory together")
    List<Path> models = new ArrayList<>();
    private Path model;

    @Option(names = "--backend", defaultValue = "auto", description = "engine to check for --model (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--device", defaultValue = "auto", description = "device to check for --model (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--dtype", defaultValue = "f32", description = "dtype to check for --model (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--kv-cache", defaultValue = "f32",
            description = "KV cache type to check and size for --model: f32 or int8 (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        model = models.isEmpty() ? null : models.get(0);
        int cores = Runtime.getRuntime().availableProcessors();
        long totalMem = -1;
        long freeMem = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            totalMem = os.getTotalMemorySize();
            freeMem = os.getFreeMemorySize();
        }
        long available = readMemAvailable();
        if (available > 0) {
            freeMem = available;
        }
        out.println("Host");
        out.printf("  cores (available to the JVM): %d%n", cores);
        out.printf("  memory: %s total, %s available%n", gib(totalMem), gib(freeMem));
        out.printf("  JVM max heap: %s%n", gib(Runtime.getRuntime().maxMemory()));
        Path cache = DemoModels.defaultCacheDir();
        out.printf("  free disk: %s at %s (model cache: %s)%n", gib(freeDisk(Path.of("."))),
                Path.of(".").toAbsolutePath().normalize(), cache);
        out.printf("  CUDA: %s%n", cudaVisibility());
        String cc = read("/proc/sys/net/ipv4/tcp_congestion_control");
        String available_cc = read("/proc/sys/net/ipv4/tcp_available_congestion_control");
        out.printf("  TCP congestion control: %s (available: %s)%n", cc == null ? "unknown" : cc,
                available_cc == null ? "unknown" : available_cc);
        out.printf("  Vector API (jdk.incubator.vector): %s%n",
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "enabled"
                        : "not enabled (add --add-modules jdk.incubator.vector for the per-group INT8 kernel)");
        engines(out);

        out.println();
        out.println("Recommendations");
        out.printf("  workers = %d: requests that share each decode step; a step reads the weights once for all of them,%n",
                BatchingSettings.defaultMaxBatch());
        out.println("    so more concurrent requests raise throughput until the step turns compute-bound.");
        out.printf("  native threads = %d: batch-1 decoding is memory-bound; more threads than cores only add contention.%n",
                Math.min(4, cores));
        if (cc != null && !cc.equals("bbr")) {
            out.println("  TCP: for serving over a network, BBR is recommended (sysctl net.ipv4.tcp_congestion_control=bbr):");
            out.println("    it keeps streaming responses smooth on lossy or long links where " + cc + " backs off.");
        } else if (cc != null) {
            out.println("  TCP: BBR is in use, as recommended for serving.");
        }
        recommendBatch(out, freeMem);
        checkModelsFit(out, totalMem);
        return 0;
    }

    /** The engines on the classpath, how each computes here, and which one would load --model and why. */
    private void engines(PrintWriter out) {
        EngineProviders engines = EngineProviders.discover();
        out.println();
        out.println("Engines");
        if (engines.providers().isEmpty()) {
            out.println("  none on the classpath");
        }
        for (EngineProvider provider : engines.providers()) {
            out.printf("  %s: %s%n", provider.name(), provider.description());
            for (String line : provider.diagnostics()) {
                out.printf("    %s%n", line);
            }
        }
        for (String broken : engines.brokenProviders()) {
            out.printf("  (a registered engine failed to load: %s)%n", broken);
        }
        if (model == null) {
            out.println("  pass --model DIR to see which engine would load it and why.");
            return;
        }
        LoadOptions options = LoadOptions.builder().device(device).weightType(WeightType.parse(dtype))
                .kvCacheType(KvCacheType.parse(kvCache)).backend(backend).build();
        EngineProviders.Selection selection = engines.select(ModelDirectory.read(model, false).config(), options);
        out.printf("  %s with --backend %s --device %s --dtype %s --kv-cache %s: %s%n", model, backend, device, dtype,
                options.kvCacheType(),
                selection.chosen().map(p -> "loads on '" + p.name() + "'").orElse("NO engine can load it"));
        for (EngineProviders.Verdict v : selection.verdicts()) {
            out.printf("    %s: %s%s%n", v.provider().name(),
                    v.support().supported() ? "yes (rank " + v.support().rank() + "): " : "no: ", v.support().reason());
        }
    }

    private void recommendBatch(PrintWriter out, long freeMem) {
        if (model == null) {
            out.println("  batch size: pass --model DIR to size it for a model's KV cache.");
            return;
        }
        ModelConfig c = ModelDirectory.read(model, false).config();
        long weights = 0;
        try (var files = Files.list(model)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                weights += Files.size(p);
            }
        } catch (IOException e) {
            weights = -1;
        }
        KvCacheType type = KvCacheType.parse(kvCache);
        long perToken = type.bytesPerToken(c);
        long perSequence = perToken * c.maxPositionEmbeddings();
        long budget = freeMem < 0 ? -1 : (long) (freeMem * 0.8) - Math.max(0, weights);
        long batch = budget <= 0 ? 1 : Math.max(1, Math.min(64, budget / perSequence));
        out.printf("  KV cache (%s): %d bytes per token, %s per sequence at the full context of %d tokens%s%n", type,
                perToken, mib(perSequence), c.maxPositionEmbeddings(), type == KvCacheType.F32
                        ? " (--kv-cache int8: " + mib(KvCacheType.INT8.bytesPerToken(c) * c.maxPositionEmbeddings())
                        + ")" : " (f32: " + mib(KvCacheType.F32.bytesPerToken(c) * c.maxPositionEmbeddings()) + ")");
        out.printf("  batch size = %d: each sequence's KV cache at full context (%d tokens) takes %s; with %s of weights%n",
                batch, c.maxPositionEmbeddings(), mib(perSequence), mib(weights));
        out.printf("    and 80%% of the %s available memory, %d sequences fit (capped at 64).%n", gib(freeMem), batch);
    }

    /**
     * What {@code assistant serve} checks before loading several models: their weights' expected memory (as
     * held: float32, INT8 or Q4_0 as --dtype and the files' stored formats say, see WeightFootprint) against 80% of
     * physical memory. KV caches are not in it: each model's memory budget bounds its own.
     */
    private void checkModelsFit(PrintWriter out, long totalMem) {
        if (models.size() < 2 || totalMem <= 0) {
            return;
        }
        WeightType type = WeightType.parse(dtype);
        long total = 0;
        for (Path m : models) {
            long bytes = WeightFootprint.estimate(m, type);
            total += bytes;
            out.printf("  model %s: about %s of weights with --dtype %s%n", m, mib(bytes), type);
        }
        long limit = totalMem / 10 * 8;
        out.printf("  models together: %s of the %s limit (80%% of physical memory): %s%n", mib(total), mib(limit),
                total <= limit ? "they fit" : "they do NOT fit; serve fewer, or quantize them (--dtype int8)");
    }

    private static long readMemAvailable() {
        String meminfo = read("/proc/meminfo");
        if (meminfo == null) {
            return -1;
        }
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    private static String cudaVisibility() {
        String driver = read("/proc/driver/nvidia/version");
        boolean device = Files.exists(Path.of("/dev/nvidia0"));
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        if (driver == null && !device) {
            return "no NVIDIA driver or device visible (CPU only)";
        }
        return "NVIDIA driver " + (driver == null ? "?" : driver.lines().findFirst().orElse("").trim())
                + (device ? ", /dev/nvidia0 present" : "") + (visible != null ? ", CUDA_VISIBLE_DEVICES=" + visible : "")
                + "; use --device cuda with the CUDA build of libtorch (see README)";
    }

    private static long freeDisk(Path path) {
        try {
            return Files.getFileStore(path.toAbsolutePath()).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String gib(long bytes) {
        return bytes < 0 ? "unknown" : String.format("%.1f GiB", bytes / (double) (1L << 30));
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "unknown" : String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
}
