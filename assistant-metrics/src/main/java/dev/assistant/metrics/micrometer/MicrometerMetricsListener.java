package dev.assistant.metrics.micrometer;

import dev.assistant.api.ErrorCode;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Publishes assistant call metrics to a Micrometer {@link MeterRegistry} under OpenTelemetry GenAI names.
 *
 * <p>Meters (Prometheus names in brackets):
 * <ul>
 *   <li>{@code gen_ai.client.operation.duration} timer, with {@code error.type} on failures
 *       [{@code gen_ai_client_operation_duration_seconds}]</li>
 *   <li>{@code gen_ai.client.token.usage} summary, {@code gen_ai.token.type} = {@code input}/{@code output}
 *       [{@code gen_ai_client_token_usage}]</li>
 *   <li>{@code gen_ai.server.time_to_first_token} and {@code gen_ai.server.time_per_output_token} timers</li>
 *   <li>{@code assistant.queue.wait} timer, {@code assistant.queue.depth} gauge,
 *       {@code assistant.requests.active} gauge, {@code assistant.requests.rejected} counter (401/403/429 with
 *       {@code error.type}), {@code assistant.model.load.duration} and {@code assistant.model.weight.memory}
 *       gauges</li>
 * </ul>
 * Common tags: {@code gen_ai.operation.name}, {@code gen_ai.provider.name}, {@code gen_ai.request.model}. Histogram
 * buckets are the explicit boundaries the OpenTelemetry GenAI conventions advise. Key ids and request ids are
 * never tags (unbounded cardinality).
 *
 * <p>Micrometer is an optional dependency of this module: this class is only loaded when a host references it.
 * Meters are created once per (model, operation, outcome) and cached, so recording is a map lookup plus the
 * Micrometer record itself.
 */
public final class MicrometerMetricsListener implements MetricsListener {
    /** OpenTelemetry advice for {@code gen_ai.client.operation.duration}, seconds. */
    static final double[] DURATION_BUCKETS =
            {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
    /** OpenTelemetry advice for {@code gen_ai.client.token.usage}. */
    static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
            16777216, 67108864};
    /** OpenTelemetry advice for {@code gen_ai.server.time_to_first_token}, seconds. */
    static final double[] TTFT_BUCKETS =
            {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
    /** OpenTelemetry advice for {@code gen_ai.server.time_per_output_token}, seconds. */
    static final double[] TPOT_BUCKETS =
            {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};

    private static final Operation[] OPERATIONS = Operation.values();
    private static final ErrorCode[] CODES = ErrorCode.values();

    private final MeterRegistry registry;
    private final String providerName;
    private final ConcurrentHashMap<String, ModelMeters> models = new ConcurrentHashMap<>();
    private final AtomicInteger queueDepth = new AtomicInteger();

    private MicrometerMetricsListener(MeterRegistry registry, String providerName) {
        this.registry = registry;
        this.providerName = providerName;
        Gauge.builder("assistant.queue.depth", queueDepth, AtomicInteger::get)
                .description("Calls waiting in the scheduler queue.")
                .register(registry);
    }

    /**
     * Binds to {@code registry}, tagging meters with {@code gen_ai.provider.name = providerName}.
     *
     * @param providerName low-cardinality name of this deployment's model provider, for example {@code assistant}
     */
    public static MicrometerMetricsListener bindTo(MeterRegistry registry, String providerName) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(providerName, "providerName");
        if (providerName.isBlank()) {
            throw new IllegalArgumentException("providerName must not be blank");
        }
        return new MicrometerMetricsListener(registry, providerName);
    }

    /** Binds to {@code registry} with provider name {@code assistant}. */
    public static MicrometerMetricsListener bindTo(MeterRegistry registry) {
        return bindTo(registry, "assistant");
    }

    private OperationMeters meters(RequestInfo request) {
        ModelMeters m = models.get(request.model());
        if (m == null) {
            m = models.computeIfAbsent(request.model(), ModelMeters::new);
        }
        return m.operation(request.operation());
    }

    private ModelMeters model(String model) {
        return models.computeIfAbsent(model, ModelMeters::new);
    }

    @Override
    public void requestStarted(RequestInfo request) {
        meters(request).model.active.incrementAndGet();
    }

    @Override
    public void queueWait(RequestInfo request, long waitNanos) {
        if (waitNanos >= 0) {
            meters(request).queueWait.record(waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void queueDepth(int depth) {
        queueDepth.set(depth);
    }

    @Override
    public void firstToken(RequestInfo request, long ttftNanos) {
        if (ttftNanos >= 0) {
            meters(request).ttft.record(ttftNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                 long tpotNanos) {
        OperationMeters m = meters(request);
        m.model.active.decrementAndGet();
        m.success.record(Math.max(0, latencyNanos), TimeUnit.NANOSECONDS);
        if (promptTokens >= 0) {
            m.inputTokens.record(promptTokens);
        }
        if (completionTokens >= 0) {
            m.outputTokens.record(completionTokens);
        }
        if (tpotNanos >= 0) {
            m.tpot.record(tpotNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
        OperationMeters m = meters(request);
        m.model.active.decrementAndGet();
        m.failure(code).record(Math.max(0, latencyNanos), TimeUnit.NANOSECONDS);
        if (code == ErrorCode.RATE_LIMITED || code == ErrorCode.UNAUTHENTICATED
                || code == ErrorCode.PERMISSION_DENIED) {
            m.rejected(code).increment();
        }
    }

    @Override
    public void modelLoaded(String model, long loadNanos, long weightBytes) {
        ModelMeters m = model(model);
        m.loadNanos.set(loadNanos);
        m.weightBytes.set(weightBytes);
    }

    @Override
    public void modelUnloaded(String model) {
        model(model).weightBytes.set(0);
    }

    /** Meters of one model: gauges plus per-operation meters created on first use. */
    private final class ModelMeters {
        final String model;
        final AtomicLong active = new AtomicLong();
        final AtomicLong loadNanos = new AtomicLong(-1);
        final AtomicLong weightBytes = new AtomicLong(-1);
        final AtomicReferenceArray<OperationMeters> operations = new AtomicReferenceArray<>(OPERATIONS.length);

        ModelMeters(String model) {
            this.model = model;
            Tags tags = Tags.of("gen_ai.provider.name", providerName, "gen_ai.request.model", model);
            Gauge.builder("assistant.requests.active", active, AtomicLong::get)
                    .description("Calls started and not yet ended.").tags(tags).register(registry);
            // Unknown values are NaN so a scrape shows "no value" rather than a misleading -1.
            TimeGauge.builder("assistant.model.load.duration", loadNanos, TimeUnit.NANOSECONDS,
                            v -> v.get() < 0 ? Double.NaN : v.get())
                    .description("How long the model took to load.").tags(tags).register(registry);
            Gauge.builder("assistant.model.weight.memory", weightBytes, v -> v.get() < 0 ? Double.NaN : v.get())
                    .description("Bytes of model weights held in memory.").baseUnit("bytes").tags(tags)
                    .register(registry);
        }

        OperationMeters operation(Operation op) {
            OperationMeters m = operations.get(op.ordinal());
            if (m == null) {
                OperationMeters created = new OperationMeters(this, op);
                m = operations.compareAndSet(op.ordinal(), null, created) ? created : operations.get(op.ordinal());
            }
            return m;
        }
    }

    /** Meters of one (model, operation). Failure meters are created on first failure of each code. */
    private final class OperationMeters {
        final ModelMeters model;
        final Tags tags;
        final Timer success;
        final DistributionSummary inputTokens;
        final DistributionSummary outputTokens;
        final Timer ttft;
        final Timer tpot;
        final Timer queueWait;
        final AtomicReferenceArray<Timer> failures = new AtomicReferenceArray<>(CODES.length);
        final AtomicReferenceArray<Counter> rejections = new AtomicReferenceArray<>(CODES.length);

        OperationMeters(ModelMeters model, Operation op) {
            this.model = model;
            this.tags = Tags.of("gen_ai.operation.name", op.otelName(), "gen_ai.provider.name", providerName,
                    "gen_ai.request.model", model.model);
            this.success = durationTimer(tags);
            this.inputTokens = tokens("input");
            this.outputTokens = tokens("output");
            this.ttft = timer("gen_ai.server.time_to_first_token", "Time to generate the first token.",
                    TTFT_BUCKETS);
            this.tpot = timer("gen_ai.server.time_per_output_token",
                    "Time per output token generated after the first token.", TPOT_BUCKETS);
            this.queueWait = timer("assistant.queue.wait", "Time calls waited in the scheduler queue.",
                    DURATION_BUCKETS);
        }

        Timer failure(ErrorCode code) {
            Timer t = failures.get(code.ordinal());
            if (t == null) {
                t = durationTimer(tags.and("error.type", code.name()));
                failures.compareAndSet(code.ordinal(), null, t);
            }
            return t;
        }

        Counter rejected(ErrorCode code) {
            Counter c = rejections.get(code.ordinal());
            if (c == null) {
                c = Counter.builder("assistant.requests.rejected")
                        .description("Calls rejected by authentication, policy or rate limiting.")
                        .tags(tags.and("error.type", code.name())).register(registry);
                rejections.compareAndSet(code.ordinal(), null, c);
            }
            return c;
        }

        private Timer durationTimer(Tags t) {
            return Timer.builder("gen_ai.client.operation.duration").description("GenAI operation duration.")
                    .tags(t).serviceLevelObjectives(durations(DURATION_BUCKETS)).register(registry);
        }

        private Timer timer(String name, String description, double[] bucketsSeconds) {
            return Timer.builder(name).description(description).tags(tags)
                    .serviceLevelObjectives(durations(bucketsSeconds)).register(registry);
        }

        private DistributionSummary tokens(String type) {
            return DistributionSummary.builder("gen_ai.client.token.usage")
                    .description("Number of input and output tokens used.")
                    .tags(tags.and("gen_ai.token.type", type)).serviceLevelObjectives(TOKEN_BUCKETS)
                    .register(registry);
        }
    }

    private static Duration[] durations(double[] seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            d[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
        }
        return d;
    }
}
