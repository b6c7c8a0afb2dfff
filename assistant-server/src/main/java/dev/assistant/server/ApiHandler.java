package dev.assistant.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authorizer;
import dev.assistant.api.security.Principal;
import dev.assistant.core.registry.ModelRegistry;
import dev.assistant.core.registry.ModelVersion;
import java.nio.file.Path;
import java.util.Locale;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.core.CallerKey;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.GenerateRequest;
import dev.assistant.api.security.Authenticator;
import dev.assistant.server.openai.ApiCall;
import dev.assistant.server.openai.ApiError;
import dev.assistant.server.openai.ApiException;
import dev.assistant.server.openai.RequestParser;
import dev.assistant.server.openai.ResponseBodies;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Routes requests to the OpenAI endpoints, the probes and the metrics scrape, and turns every failure into an
 * OpenAI-shaped error body with the matching status. Blocking handler: Jetty runs it on a pooled thread.
 *
 * <p>API requests are counted in flight and refused with 503 once the server drains or while no model is
 * loaded; probes and {@code /metrics} are always answered. With an authenticator, every API request's key is
 * checked before its body is read or its model looked up (the assistant checks it again, with its policies);
 * without one, {@link BrowserGuard} refuses what a web page could forge. The {@code Authorization} header is read
 * only to check the key and hand it to the assistant; it is never logged or echoed.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final ModelCatalog catalog;
    private final ObjectMapper json;
    private final RequestParser parser;
    private final ResponseBodies bodies;
    private final CompletionEndpoint<ChatRequest> chat;
    private final CompletionEndpoint<GenerateRequest> completions;
    private final PrometheusMeterRegistry registry;
    private final ServerMetrics metrics;
    private final InFlight inFlight;
    private final Authenticator authenticator;
    private final Authorizer adminAuthorizer;
    private final BrowserGuard browserGuard;
    private final ClientFaultLog clientFaults;
    private final Duration bodyTimeout;
    private final long minRequestBytesPerSecond;
    private final BooleanSupplier ready;
    private final LongSupplier nanoClock;
    private final long startedEpochSecond;
    private final int maxRequestBytes;

    ApiHandler(ModelCatalog catalog, ObjectMapper json, RequestParser parser, ResponseBodies bodies,
               CompletionEndpoint<ChatRequest> chat, CompletionEndpoint<GenerateRequest> completions,
               PrometheusMeterRegistry registry, ServerMetrics metrics, InFlight inFlight,
               Authenticator authenticator, Authorizer adminAuthorizer, BooleanSupplier ready, LongSupplier nanoClock,
               long startedEpochSecond, ServerConfig config) {
        this.catalog = catalog;
        this.json = json;
        this.parser = parser;
        this.bodies = bodies;
        this.chat = chat;
        this.completions = completions;
        this.registry = registry;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.authenticator = authenticator;
        this.adminAuthorizer = adminAuthorizer;
        this.browserGuard = new BrowserGuard(config);
        this.clientFaults = new ClientFaultLog(LOG, nanoClock);
        this.bodyTimeout = config.bodyTimeout();
        this.minRequestBytesPerSecond = config.minRequestBytesPerSecond();
        this.ready = ready;
        this.nanoClock = nanoClock;
        this.startedEpochSecond = startedEpochSecond;
        this.maxRequestBytes = config.maxRequestBytes();
    }

    private static final String ADMIN_MODELS = "/admin/models/";
    private static final String RELOAD_SUFFIX = "/reload";

    /** The fixed set of routes; also the bounded {@code route} tag of the request metrics. */
    enum Route {
        CHAT("/v1/chat/completions", "POST", true),
        COMPLETIONS("/v1/completions", "POST", true),
        MODELS("/v1/models", "GET", true),
        MODEL("/v1/models/{id}", "GET", true),
        RELOAD("/admin/models/{id}/reload", "POST", true),
        HEALTHZ("/healthz", "GET", false),
        READYZ("/readyz", "GET", false),
        METRICS("/metrics", "GET", false),
        UNKNOWN("other", null, false);

        final String template;
        final String method;
        final boolean api;

        Route(String template, String method, boolean api) {
            this.template = template;
            this.method = method;
            this.api = api;
        }

        static Route match(String path) {
            if (path.startsWith("/v1/models/") && path.length() > "/v1/models/".length()) {
                return MODEL;
            }
            if (path.startsWith(ADMIN_MODELS) && path.endsWith(RELOAD_SUFFIX)
                    && path.length() > ADMIN_MODELS.length() + RELOAD_SUFFIX.length()) {
                return RELOAD;
            }
            return Arrays.stream(values()).filter(r -> r.template.equals(path)).findFirst().orElse(UNKNOWN);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = nanoClock.getAsLong();
        Exchange exchange = new Exchange(request, response, callback, json);
        String path = exchange.path();
        Route route = Route.match(path);
        String method = exchange.method();
        boolean entered = false;
        boolean bodyPending = false;
        try {
            if (route == Route.UNKNOWN) {
                throw new ApiException(ApiError.unknownRoute(method, path));
            }
            if (!route.method.equals(method) && !(route.method.equals("GET") && method.equals("HEAD"))) {
                exchange.header(HttpHeader.ALLOW, route.method);
                throw new ApiException(ApiError.methodNotAllowed(method, path));
            }
            if (route == Route.METRICS && authenticator == null) {
                guardBrowser(exchange);
            }
            if (!route.api) {
                probe(exchange, route);
                return true;
            }
            entered = inFlight.tryEnter();
            if (!entered) {
                exchange.header(HttpHeader.CONNECTION, "close");
                throw new ApiException(ApiError.unavailable("server_shutting_down",
                        "The server is shutting down; retry on another instance."));
            }
            Principal caller = admit(exchange);
            if (route == Route.RELOAD) {
                authorizeReload(caller, modelOf(path));
                requireJson(exchange);
                readBodyThenServe(exchange, route, method, start);
                bodyPending = true;
                return true;
            }
            if (catalog.isEmpty()) {
                throw new ApiException(ApiError.unavailable("model_loading", "The model is still loading; retry shortly."));
            }
            if (route == Route.CHAT || route == Route.COMPLETIONS) {
                requireJson(exchange);
                readBodyThenServe(exchange, route, method, start);
                bodyPending = true;
                return true;
            }
            listModels(exchange, route, path);
        } catch (RuntimeException e) {
            fail(exchange, route, method, e);
        } finally {
            if (!bodyPending) {
                finish(exchange, route, method, start, entered);
            }
        }
        return true;
    }

    /**
     * Who may use the API at all, checked before any body is read or any model is looked up: on a server without
     * keys, only requests a web page cannot forge (see {@link BrowserGuard}); with keys, a valid key, so that no
     * caller without one makes the server read a body or says whether a model exists.
     */
    private Principal admit(Exchange exchange) {
        Optional<String> bearer = exchange.bearerKey();
        if (authenticator == null) {
            guardBrowser(exchange);
            return null;
        }
        char[] key = bearer.map(String::toCharArray).orElse(null);
        try {
            return authenticator.authenticate(key);
        } finally {
            if (key != null) {
                Arrays.fill(key, '\0');
            }
        }
    }

    /**
     * Reloading needs a caller the admin authorizer allows {@code assistant:ReloadModel} on the model: a server
     * without keys or without an admin authorizer has no admin routes (403), whoever asks.
     */
    private void authorizeReload(Principal caller, String model) {
        if (caller == null || adminAuthorizer == null) {
            throw new ApiException(new ApiError(403, "permission_error", "admin_disabled", null,
                    "Admin routes need API keys and an admin policy (serve with --security-config).",
                    OptionalLong.empty()));
        }
        adminAuthorizer.authorize(caller, Action.RELOAD_MODEL, Authorizer.modelResource(model));
    }

    private static String modelOf(String path) {
        return path.substring(ADMIN_MODELS.length(), path.length() - RELOAD_SUFFIX.length());
    }

    /**
     * {@code POST /admin/models/{name}/reload} with an optional {@code {"path": "..."}}: loads the new version
     * beside the old, verifies it and switches to it (blocking this pooled thread for the load); a refused version
     * is reported with its error while the old one keeps serving.
     */
    private void reload(Exchange exchange, String model, JsonNode body) {
        ModelRegistry models = catalog.registry().filter(r -> r.contains(model)).orElseThrow(() -> catalog
                .contains(model) ? new ApiException(ApiError.invalid("model", "Model '" + model
                + "' was added as a fixed assistant and cannot be reloaded."))
                : new ApiException(ApiError.modelNotFound(model)));
        JsonNode path = body == null ? null : body.get("path");
        if (path != null && !path.isNull() && (!path.isTextual() || path.asText().isBlank())) {
            throw new ApiException(ApiError.invalid("path", "'path' must be a non-empty string."));
        }
        ModelVersion version = models.reload(model, path == null || path.isNull() ? null : Path.of(path.asText()));
        ObjectNode answer = bodies.model(model, version.id(), "loaded", startedEpochSecond);
        exchange.sendJson(200, answer);
    }

    private void guardBrowser(Exchange exchange) {
        browserGuard.check(exchange.singleHeader(HttpHeader.HOST), exchange.singleHeader(HttpHeader.ORIGIN));
    }

    /** Bodies must say they are JSON: a browser can send {@code text/plain} to any site without asking first. */
    private static void requireJson(Exchange exchange) {
        String type = exchange.singleHeader(HttpHeader.CONTENT_TYPE);
        String media = type == null ? "" : type.split(";", 2)[0].strip();
        if (!media.equalsIgnoreCase(Exchange.JSON)) {
            throw new ApiException(new ApiError(415, "invalid_request_error", "unsupported_media_type", null,
                    "The request body must be sent as Content-Type: application/json.", OptionalLong.empty()));
        }
    }

    /**
     * Reads the body without holding this thread (see {@link BodyReader}), then serves the request on a pooled
     * thread. The request stays counted in flight meanwhile.
     */
    private void readBodyThenServe(Exchange exchange, Route route, String method, long start) {
        Request request = exchange.request();
        CompletableFuture<byte[]> body = BodyReader.read(request, maxRequestBytes,
                (long) maxRequestBytes * Exchange.DRAIN_FACTOR, bodyTimeout, minRequestBytesPerSecond);
        BiConsumer<byte[], Throwable> serve = (bytes, failure) -> {
            try {
                if (failure != null) {
                    bodyFailed(exchange, failure instanceof CompletionException c && c.getCause() != null
                            ? c.getCause() : failure);
                } else {
                    completion(exchange, route, exchange.parseJson(bytes));
                }
            } catch (RuntimeException e) {
                fail(exchange, route, method, e);
            } finally {
                finish(exchange, route, method, start, true);
            }
        };
        if (body.isDone()) {
            body.whenComplete(serve); // already read: this thread serves it
        } else {
            body.whenCompleteAsync(serve, request.getComponents().getExecutor());
        }
    }

    /** Answers a body that could not be read; a client that went away gets nothing and one brief log line. */
    private void bodyFailed(Exchange exchange, Throwable failure) {
        if (failure instanceof BodyReader.TooLarge tooLarge) {
            if (!tooLarge.drained) {
                exchange.header(HttpHeader.CONNECTION, "close");
            }
            throw new ApiException(ApiError.tooLarge(maxRequestBytes));
        }
        if (failure instanceof BodyReader.TooSlow || failure instanceof TimeoutException
                || failure instanceof HttpException h && h.getCode() == 408) {
            // Too slow, in total, on average or silent past the idle timeout: tell it (it may still read) and close.
            exchange.header(HttpHeader.CONNECTION, "close");
            throw new ApiException(new ApiError(408, "invalid_request_error", "request_timeout", null,
                    "The request body did not arrive in time.", OptionalLong.empty()));
        }
        if (failure instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
            // A malformed body (a broken chunked encoding...): the client's fault, answered in the API's shape.
            exchange.header(HttpHeader.CONNECTION, "close");
            throw new ApiException(JsonErrorHandler.error(h.getCode()));
        }
        clientFaults.record("request bodies abandoned by their clients", failure);
        exchange.abort(failure);
    }

    /** Maps a failure to its answer; only a failure of the server itself is logged (with its stack). */
    private void fail(Exchange exchange, Route route, String method, RuntimeException e) {
        if (e instanceof ApiException api) {
            exchange.sendError(api.error());
        } else if (e instanceof AssistantException assistant) {
            exchange.sendError(ApiError.from(assistant));
        } else {
            // Never log the request itself (it may hold prompts); the exception names the failure.
            LOG.error("unexpected failure serving {} {}", ServerMetrics.methodTag(method), route.template, e);
            exchange.sendError(new ApiError(500, "server_error", "internal_error", null,
                    "The server failed to process the request.", OptionalLong.empty()));
        }
    }

    private void finish(Exchange exchange, Route route, String method, long start, boolean entered) {
        if (entered) {
            inFlight.exit();
        }
        exchange.abort(new IllegalStateException("handler returned without a response"));
        metrics.request(route.template, method, exchange.status() == 0 ? 499 : exchange.status(),
                nanoClock.getAsLong() - start);
    }

    private void probe(Exchange exchange, Route route) {
        switch (route) {
            case HEALTHZ -> exchange.sendText(200, "text/plain; charset=utf-8", "ok\n");
            case READYZ -> {
                if (ready.getAsBoolean()) {
                    exchange.sendText(200, "text/plain; charset=utf-8", "ready\n");
                } else {
                    exchange.sendText(503, "text/plain; charset=utf-8",
                            inFlight.draining() ? "draining\n" : "loading\n");
                }
            }
            case METRICS -> exchange.sendText(200, PROMETHEUS_TEXT, registry.scrape());
            default -> throw new IllegalStateException("not a probe: " + route);
        }
    }

    private void listModels(Exchange exchange, Route route, String path) {
        switch (route) {
            case MODELS -> exchange.sendJson(200, bodies.modelList(catalog.entries().stream()
                    .map(this::modelBody).toList()));
            case MODEL -> {
                String id = path.substring("/v1/models/".length());
                ModelCatalog.Entry entry = catalog.entry(id)
                        .orElseThrow(() -> new ApiException(ApiError.modelNotFound(id)));
                exchange.sendJson(200, modelBody(entry));
            }
            default -> throw new IllegalStateException("not a model route: " + route);
        }
    }

    private ObjectNode modelBody(ModelCatalog.Entry entry) {
        return bodies.model(entry.name(), entry.version(), entry.state().name().toLowerCase(Locale.ROOT),
                startedEpochSecond);
    }

    private void completion(Exchange exchange, Route route, JsonNode body) {
        if (route == Route.RELOAD) {
            reload(exchange, modelOf(exchange.path()), body);
            return;
        }
        exchange.tolerateSilence();
        try (CallerKey key = exchange.bearerKey().map(CallerKey::of).orElse(null)) {
            if (route == Route.CHAT) {
                ApiCall<ChatRequest> call = parser.chat(body, key);
                chat.handle(exchange, call);
            } else {
                ApiCall<GenerateRequest> call = parser.completion(body, key);
                completions.handle(exchange, call);
            }
        }
    }
}
