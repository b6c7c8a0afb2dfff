package dev.assistant.cli;

import dev.assistant.core.registry.AssistantFactory;
import dev.assistant.core.registry.ModelRegistry;
import dev.assistant.core.registry.ModelSpec;
import dev.assistant.core.registry.ModelStatus;
import dev.assistant.core.registry.ModelVersion;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.registry.WeightFootprint;
import dev.assistant.core.Assistant;
import dev.assistant.core.AssistantBuilder;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.metrics.config.AlertsConfig;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.metrics.micrometer.MicrometerMetricsListener;
import dev.assistant.metrics.system.JvmSystemProbe;
import dev.assistant.security.config.SecuritySettings;
import dev.assistant.server.OpenAiServer;
import dev.assistant.server.ServerConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

/**
 * {@code assistant serve}: an OpenAI-compatible HTTP server. It listens first (so {@code /healthz} answers and
 * {@code /readyz} says 503 while the model loads), then loads the model and turns ready. SIGTERM/SIGINT drain it:
 * in-flight requests may finish within {@code --shutdown-grace}, new ones get 503, then the model is freed.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the model over the OpenAI HTTP API (POST /v1/chat/completions, /v1/completions, "
                + "GET /v1/models, /metrics, /healthz, /readyz). Without --model, serves the random-weights demo model.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--idle-unload", paramLabel = "DURATION",
            description = "unload a model nobody used for this long (ISO-8601, e.g. PT30M); the next request for it "
                    + "waits for it to load again. Models then load on their first request. Default: never.")
    Duration idleUnload;

    @Option(names = "--models-config", paramLabel = "FILE",
            description = "JSON file listing the models to serve (instead of --model NAME=DIR): "
                    + "{\"models\": [{\"name\": \"general\", \"path\": \"/models/a\"}], \"idleUnload\": \"PT30M\"}")
    Path modelsConfig;

    @Option(names = "--model-name", description = "the name clients put in \"model\" (default: the directory name)")
    String modelName;

    @Option(names = "--host", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "bind address (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 binds every interface)")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "TCP port (default: ${DEFAULT-VALUE}; 0 = any free port)")
    int port;

    @Option(names = "--security-config", paramLabel = "FILE",
            description = "security JSON (API keys, policies, rate limits; see assistant-security/README.md). "
                    + "Without it every caller is anonymous: keep the server on loopback.")
    Path securityConfig;

    @Option(names = "--alerts-config", paramLabel = "FILE",
            description = "alerts configuration (JSON: rules, routes, channels; see assistant-metrics/README.md); "
                    + "evaluated every 10 s while serving")
    Path alertsConfig;

    @Option(names = "--workers", description = "requests generated at once, sharing each decode step (default: 16, or 2 x cores where more)")
    Integer workers;

    @Option(names = "--queue-capacity", defaultValue = "64", description = "requests waiting for a worker before 503 (default: ${DEFAULT-VALUE})")
    int queueCapacity;

    @Option(names = "--max-request-bytes", defaultValue = "1048576", description = "largest request body (default: ${DEFAULT-VALUE})")
    int maxRequestBytes;

    @Option(names = "--idle-timeout", defaultValue = "PT30S", description = "drop silent connections after (ISO-8601, default: ${DEFAULT-VALUE})")
    Duration idleTimeout;

    @Option(names = "--request-timeout", defaultValue = "PT5M", description = "longest completion, queueing included (default: ${DEFAULT-VALUE})")
    Duration requestTimeout;

    @Option(names = "--body-timeout", defaultValue = "PT30S",
            description = "a request body must arrive within (ISO-8601, default: ${DEFAULT-VALUE}); else 408")
    Duration bodyTimeout;

    @Option(names = "--min-request-rate", defaultValue = "1024", paramLabel = "BYTES_PER_SECOND",
            description = "bodies arriving slower than this on average get 408 (default: ${DEFAULT-VALUE}; 0 = off)")
    long minRequestRate;

    @Option(names = "--allowed-host", paramLabel = "HOST",
            description = "without --security-config keys, also accept this Host/Origin name beside loopback "
                    + "(repeatable; a defence against DNS rebinding)")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--shutdown-grace", defaultValue = "PT30S", description = "time in-flight requests get at shutdown (default: ${DEFAULT-VALUE})")
    Duration shutdownGrace;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerConfig.Builder settings = ServerConfig.builder().host(host).port(port).maxRequestBytes(maxRequestBytes)
                .idleTimeout(idleTimeout).requestTimeout(requestTimeout).shutdownGrace(shutdownGrace)
                .bodyTimeout(bodyTimeout).minRequestBytesPerSecond(minRequestRate);
        allowedHosts.forEach(settings::allowedHost);
        ServerConfig config = settings.build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Read before anything starts, so a broken alerts file stops the command with its typed error.
        AlertsConfig alerts = alertsConfig == null ? null : AlertsConfig.read(alertsConfig);
        InMemoryMetrics memory = alerts == null ? null : InMemoryMetrics.create();
        SecuritySettings security = securityConfig == null ? null
                : SecuritySettings.load(securityConfig, System::getenv, Clock.systemUTC());
        OpenAiServer.Builder server = OpenAiServer.builder().config(config).registry(registry);
        if (security != null) {
            security.authenticator().ifPresent(server::authenticator);
            security.authorizer().ifPresent(server::adminAuthorizer);
        } else if (config.bindsAllInterfaces()) {
            err.println("WARNING: listening on every interface WITHOUT --security-config: anyone who can reach "
                    + "this port can use the model (clients must send a loopback Host or one given with --allowed-host).");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (OpenAiServer running = server.build().start()) {
            err.printf("Listening on %s (not ready until the model is loaded)%n", running.baseUrl());
            err.flush();
            ModelRegistry models;
            try {
                models = open(err, registry, security, memory);
            } catch (RuntimeException e) {
                if (security != null) {
                    security.close();
                }
                throw e;
            }
            ServeAlerts alerting;
            try {
                alerting = alerts == null ? null : ServeAlerts.start(alerts, memory::snapshot, new JvmSystemProbe(),
                        registry, Duration.ofSeconds(10), System::getenv);
            } catch (RuntimeException e) {
                models.close();
                if (security != null) {
                    security.close();
                }
                throw e;
            }
            if (alerting != null) {
                err.printf("Alerts: %d rules, channels %s%n", alerting.engine().rules().size(),
                        alerting.router().channelNames());
            }
            Thread hook = new Thread(() -> {
                err.println("Shutting down: draining in-flight requests...");
                err.flush();
                boolean clean = running.shutdown(config.shutdownGrace());
                if (alerting != null) {
                    alerting.close();
                }
                models.close();
                if (security != null) {
                    security.close();
                }
                err.println(clean ? "Stopped." : "Stopped (some requests were cut at the grace limit).");
                err.flush();
                stopped.countDown();
            }, "assistant-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            running.addModels(models);
            for (ModelStatus status : models.status()) {
                out.printf("Serving model \"%s\" version %s from %s at %s%n", status.name(),
                        status.currentVersion().map(ModelVersion::id).orElse("(loads on first request)"),
                        status.path(), running.baseUrl());
            }
            out.println("Ctrl-C stops.");
            out.flush();
            stopped.await();
        }
        return 0;
    }

    /** The models to serve, loaded (and their memory checked) before the server turns ready. */
    private ModelRegistry open(PrintWriter err, PrometheusMeterRegistry registry, SecuritySettings security,
                               InMemoryMetrics memory) {
        MetricsListener metrics = MicrometerMetricsListener.bindTo(registry);
        // The alert rules read the in-memory window; /metrics keeps reading Micrometer.
        MetricsListener listener = memory == null ? metrics : MetricsListener.composite(metrics, memory);
        AssistantFactory factory = (name, path) -> {
            AssistantBuilder b = model.configure(Assistant.builder(), path).modelName(name)
                    .queueCapacity(queueCapacity).defaultTimeout(requestTimeout).metrics(listener);
            if (workers != null) {
                b.workers(workers);
            }
            if (security != null) {
                security.authenticator().ifPresent(b::authenticator);
                security.authorizer().ifPresent(b::authorizer);
                security.rateLimiter().ifPresent(b::rateLimiter);
                b.anonymousPrincipal(security.anonymousPrincipal());
            }
            return b.build();
        };
        WeightType type = WeightType.parse(model.dtype);
        ModelRegistry.Builder models = ModelRegistry.builder();
        List<ModelOptions.Named> named;
        Duration idle = idleUnload;
        if (modelsConfig == null) {
            named = model.named(modelName, err);
        } else {
            if (!model.models.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "give the models either with --model or in --models-config, not both");
            }
            ModelsConfig file = ModelsConfig.read(modelsConfig);
            named = file.models().stream().map(m -> new ModelOptions.Named(m.name(), m.path())).toList();
            idle = idle != null ? idle : file.idleUnload();
        }
        for (ModelOptions.Named one : named) {
            models.model(new ModelSpec(one.name(), one.path(), factory, WeightFootprint.estimate(one.path(), type)));
        }
        if (idle != null) {
            models.idleUnloadAfter(idle).loadOnStart(false);
        }
        return models.build();
    }
}
