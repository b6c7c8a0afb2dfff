package dev.assistant.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.GenerateRequest;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Authorizer;
import dev.assistant.core.registry.ModelRegistry;
import dev.assistant.server.openai.RequestParser;
import dev.assistant.server.openai.ResponseBodies;
import dev.assistant.server.openai.ResponseBodies.Kind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * An OpenAI-compatible HTTP server in front of one or more {@link Assistant}s, on Jetty 12.
 *
 * <p>Endpoints: {@code POST /v1/chat/completions} and {@code POST /v1/completions} (whole or streamed as
 * server-sent events ending with {@code data: [DONE]}), {@code GET /v1/models[/{id}]}, {@code GET /metrics}
 * (Prometheus text), {@code GET /healthz} (alive) and {@code GET /readyz} (200 once a model is served and the
 * server is not draining). The OpenAI {@code model} field selects the assistant by
 * {@code modelInfo().name()}; unknown names get 404 {@code model_not_found}.
 *
 * <p>Security is the assistant's: the {@code Authorization: Bearer} key is passed as the request's
 * {@code CallerKey}, so the assistant's authenticator, policies and rate limits decide (401/403/429 with
 * {@code Retry-After}). Build the assistants with {@code .metrics(MicrometerMetricsListener.bindTo(registry))} on
 * the registry given here to see their metrics on {@code /metrics}.
 *
 * <p>Lifecycle: {@link #start()} binds; {@link #close()} drains (new API requests get 503 and {@code /readyz}
 * turns 503, in-flight requests may finish within the configured grace) and stops. The server never closes the
 * assistants: their owner does, after the server.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);
    /** How long requests cut at the end of the shutdown grace get to write their last answer. */
    private static final Duration CUT_WAIT = Duration.ofSeconds(2);

    private final ServerConfig config;
    private final ModelCatalog catalog = new ModelCatalog();
    private final InFlight inFlight = new InFlight();
    private final PrometheusMeterRegistry registry;
    private final ServerMetrics metrics;
    private final Server jetty;
    private final ServerConnector connector;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();

    private OpenAiServer(Builder b) {
        this.config = b.config;
        this.registry = b.registry != null ? b.registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.metrics = new ServerMetrics(registry, inFlight::count);
        if (b.modelRegistry != null) {
            catalog.use(b.modelRegistry);
        }
        b.models.forEach(catalog::add);
        // One JSON value per body: "{...} garbage" is a 400, not a request with the garbage silently dropped.
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        ResponseBodies bodies = new ResponseBodies(json);
        Supplier<String> ids = b.ids != null ? b.ids : randomIds();
        CompletionEndpoint<ChatRequest> chat = new CompletionEndpoint<>(Kind.CHAT, Assistant::chatStream, catalog,
                bodies, json, b.clock, ids, metrics, inFlight, config.requestTimeout());
        CompletionEndpoint<GenerateRequest> completions = new CompletionEndpoint<>(Kind.TEXT, Assistant::generateStream,
                catalog, bodies, json, b.clock, ids, metrics, inFlight, config.requestTimeout());
        ApiHandler handler = new ApiHandler(catalog, json, new RequestParser(config.requestTimeout()), bodies, chat,
                completions, registry, metrics, inFlight, b.authenticator, b.adminAuthorizer, this::isReady,
                System::nanoTime,
                b.clock.instant().getEpochSecond(), config);

        QueuedThreadPool threads = new QueuedThreadPool(config.maxThreads(), 4);
        threads.setName("assistant-http");
        threads.setDaemon(true);
        this.jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        this.connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.idleTimeout().toMillis());
        jetty.addConnector(connector);
        jetty.setHandler(handler);
        jetty.setErrorHandler(new JsonErrorHandler(json));
        jetty.setStopTimeout(0); // draining is ours (see shutdown()); Jetty then just closes the idle connections
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds and starts serving.
     *
     * @throws AssistantException {@code ENGINE_UNAVAILABLE} when the address cannot be bound
     */
    public OpenAiServer start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("the server was already started");
        }
        try {
            jetty.start();
        } catch (Exception e) {
            try {
                jetty.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE,
                    "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        if (config.bindsAllInterfaces()) {
            LOG.warn("listening on ALL interfaces ({}:{}): make sure authentication is configured", config.host(), port());
        }
        LOG.info("OpenAI-compatible server listening on {}:{} (models: {})", config.host(), port(), catalog.names());
        return this;
    }

    /** The bound port (the chosen one when the configuration says 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8000/v1}. */
    public String baseUrl() {
        String host = config.bindsAllInterfaces() ? "127.0.0.1" : config.host();
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port() + "/v1";
    }

    /** Serves another assistant (for example once its model has loaded, which makes the server ready). */
    public void addModel(Assistant assistant) {
        catalog.add(Objects.requireNonNull(assistant, "assistant"));
    }

    /**
     * Serves the models of {@code models} (for example once they have loaded, which makes the server ready); see
     * {@link Builder#models}.
     */
    public void addModels(ModelRegistry models) {
        catalog.use(models);
    }

    /** Whether a model is served and the server is not draining: what {@code /readyz} answers. */
    public boolean isReady() {
        return started.get() && !stopped.get() && !catalog.isEmpty() && !inFlight.draining();
    }

    /** API requests being served now. */
    public int inFlight() {
        return inFlight.count();
    }

    /** Completions stopped because their client went away (also {@code assistant_server_streams_abandoned_total}). */
    public long abandonedStreams() {
        return (long) metrics.abandonedCount();
    }

    /** The registry {@code /metrics} scrapes. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Drains, then stops: from now on new API requests get 503 ({@code server_shutting_down}) and {@code /readyz}
     * 503; requests in flight get up to {@code grace} to finish; then the connector closes. Idempotent.
     *
     * @return true when every in-flight request finished within the grace
     */
    public boolean shutdown(Duration grace) {
        if (!stopped.compareAndSet(false, true)) {
            return true;
        }
        boolean clean;
        try {
            clean = inFlight.drain(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        }
        if (!clean) {
            LOG.warn("{} request(s) still running after the shutdown grace of {}; ending them with an error",
                    inFlight.count(), grace);
            // Each ends with a last answer (a 503, or an error event and [DONE] in a stream) before the connector
            // closes; a request whose client does not read it is cut when this short wait ends.
            inFlight.cut();
            try {
                inFlight.drain(CUT_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("HTTP server did not stop cleanly", e);
        }
        return clean;
    }

    /** {@link #shutdown(Duration)} with the configured grace. */
    @Override
    public void close() {
        shutdown(config.shutdownGrace());
    }

    private static Supplier<String> randomIds() {
        SecureRandom random = new SecureRandom();
        HexFormat hex = HexFormat.of();
        return () -> {
            byte[] bytes = new byte[12];
            random.nextBytes(bytes);
            return hex.formatHex(bytes);
        };
    }

    /** Configures an {@link OpenAiServer}. */
    public static final class Builder {
        private ServerConfig config = ServerConfig.defaults();
        private final List<Assistant> models = new ArrayList<>();
        private PrometheusMeterRegistry registry;
        private Authenticator authenticator;
        private Authorizer adminAuthorizer;
        private ModelRegistry modelRegistry;
        private Clock clock = Clock.systemUTC();
        private Supplier<String> ids;

        private Builder() {
        }

        public Builder config(ServerConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Serves {@code assistant} under {@code assistant.modelInfo().name()}; may be called once per model. */
        public Builder model(Assistant assistant) {
            models.add(Objects.requireNonNull(assistant, "assistant"));
            return this;
        }

        /**
         * Serves the models of {@code models} (several models by name, versions reloadable without downtime, idle
         * unload): each request holds the version it started on until it ends, and its responses carry that
         * version as {@code system_fingerprint}. The server does not close the registry: its owner does, after
         * the server.
         */
        public Builder models(ModelRegistry models) {
            if (modelRegistry != null) {
                throw new IllegalStateException("models were already set");
            }
            this.modelRegistry = Objects.requireNonNull(models, "models");
            return this;
        }

        /**
         * Enables {@code POST /admin/models/{name}/reload}: a caller authenticated by the
         * {@linkplain #authenticator authenticator} whom this authorizer allows {@code assistant:ReloadModel} on
         * {@code model/<name>} may load a new version of a registry model. Without it (or without an
         * authenticator) the admin routes answer 403.
         */
        public Builder adminAuthorizer(Authorizer authorizer) {
            this.adminAuthorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        /** The registry {@code /metrics} scrapes (the one the assistants' Micrometer listener is bound to). */
        public Builder registry(PrometheusMeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Checks the key of every API request before anything else: before a body is read, a model looked up or
         * listed (the assistants check it again with their policies). Give the assistants' authenticator whenever
         * they require keys. Default: none, the server is open and then accepts only requests a web page cannot
         * forge (loopback or allowed {@code Host}, no foreign {@code Origin}).
         */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        /** @deprecated the authenticator now guards every API route: use {@link #authenticator(Authenticator)} */
        @Deprecated
        public Builder modelsAuthenticator(Authenticator authenticator) {
            return authenticator(authenticator);
        }

        /** The clock of {@code created} timestamps. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Source of response ids (after the {@code chatcmpl-}/{@code cmpl-} prefix); default random hex. */
        public Builder ids(Supplier<String> ids) {
            this.ids = Objects.requireNonNull(ids, "ids");
            return this;
        }

        public OpenAiServer build() {
            return new OpenAiServer(this);
        }
    }
}
