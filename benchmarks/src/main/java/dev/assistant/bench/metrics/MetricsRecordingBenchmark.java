package dev.assistant.bench.metrics;

import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import dev.assistant.api.metrics.Ticker;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.micrometer.MicrometerMetricsListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Per-request cost of recording metrics: what {@code Assistant} adds to each call (start, first token, success with
 * token counts, via {@link RequestTimer} and the guarding composite), for each listener set-up. The {@code none}
 * case is the floor ({@link RequestTimer} allocation and three ticker reads).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class MetricsRecordingBenchmark {
    @Param({"none", "inMemory", "micrometerSimple", "micrometerPrometheus", "inMemoryAndPrometheus"})
    public String listener;

    private RequestMetrics metrics;
    private final RequestInfo info = new RequestInfo("req-1", "key-1", "tiny-llama", Operation.CHAT);

    @Setup
    public void setUp() {
        MetricsListener l = switch (listener) {
            case "none" -> MetricsListener.NONE;
            case "inMemory" -> InMemoryMetrics.create();
            case "micrometerSimple" -> MicrometerMetricsListener.bindTo(new SimpleMeterRegistry());
            case "micrometerPrometheus" ->
                    MicrometerMetricsListener.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            case "inMemoryAndPrometheus" -> MetricsListener.composite(InMemoryMetrics.create(),
                    MicrometerMetricsListener.bindTo(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
            default -> throw new IllegalArgumentException(listener);
        };
        metrics = new RequestMetrics(l, Ticker.SYSTEM);
    }

    @Benchmark
    public RequestTimer recordOneRequest() {
        RequestTimer timer = metrics.start(info);
        timer.firstToken();
        timer.succeeded(64, 32);
        return timer;
    }
}
