package dev.assistant.server;

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
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Routes requests to the OpenAI endpoints, the probes and the metrics scrape, and turns every failure into an
 * OpenAI-shaped error body with the matching status. Blocking handler: Jetty runs it on a pooled thread.
 *
 * <p>API requests are counted in flight and refused with 503 once the server drains or while no model is
 * loaded; probes and {@code /metrics} are always answered. The {@code Authorization} header is read only to hand
 * the key to the assistant (and the optional authenticator for {@code /v1/models}); it is never logged or echoed.
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
    private final Authenticator modelsAuthenticator;
    private final BooleanSupplier ready;
    private final LongSupplier nanoClock;
    private final long startedEpochSecond;
    private final int maxRequestBytes;

    ApiHandler(ModelCatalog catalog, ObjectMapper json, RequestParser parser, ResponseBodies bodies,
               CompletionEndpoint<ChatRequest> chat, CompletionEndpoint<GenerateRequest> completions,
               PrometheusMeterRegistry registry, ServerMetrics metrics, InFlight inFlight,
               Authenticator modelsAuthenticator, BooleanSupplier ready, LongSupplier nanoClock,
               long startedEpochSecond, int maxRequestBytes) {
        this.catalog = catalog;
        this.json = json;
        this.parser = parser;
        this.bodies = bodies;
        this.chat = chat;
        this.completions = completions;
        this.registry = registry;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.modelsAuthenticator = modelsAuthenticator;
        this.ready = ready;
        this.nanoClock = nanoClock;
        this.startedEpochSecond = startedEpochSecond;
        this.maxRequestBytes = maxRequestBytes;
    }

    /** The fixed set of routes; also the bounded {@code route} tag of the request metrics. */
    enum Route {
        CHAT("/v1/chat/completions", "POST", true),
        COMPLETIONS("/v1/completions", "POST", true),
        MODELS("/v1/models", "GET", true),
        MODEL("/v1/models/{id}", "GET", true),
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
        try {
            if (route == Route.UNKNOWN) {
                throw new ApiException(ApiError.unknownRoute(method, path));
            }
            if (!route.method.equals(method) && !(route.method.equals("GET") && method.equals("HEAD"))) {
                exchange.header(HttpHeader.ALLOW, route.method);
                throw new ApiException(ApiError.methodNotAllowed(method, path));
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
            if (catalog.isEmpty()) {
                throw new ApiException(ApiError.unavailable("model_loading", "The model is still loading; retry shortly."));
            }
            api(exchange, route, path);
        } catch (ApiException e) {
            exchange.sendError(e.error());
        } catch (UncheckedIOException e) {
            if (causedBy(e, java.util.concurrent.TimeoutException.class)) {
                // The client stopped sending its body: tell it (it may still read) and close the connection.
                exchange.header(HttpHeader.CONNECTION, "close");
                exchange.sendError(new ApiError(408, "invalid_request_error", "request_timeout", null,
                        "The request body did not arrive in time.", OptionalLong.empty()));
            } else {
                exchange.abort(e); // the client is gone: nobody to answer
            }
        } catch (AssistantException e) {
            exchange.sendError(ApiError.from(e));
        } catch (RuntimeException e) {
            // Never log the request itself (it may hold prompts); the exception names the failure.
            LOG.error("unexpected failure serving {} {}", method, route.template, e);
            exchange.sendError(new ApiError(500, "server_error", "internal_error", null,
                    "The server failed to process the request.", OptionalLong.empty()));
        } finally {
            if (entered) {
                inFlight.exit();
            }
            exchange.abort(new IllegalStateException("handler returned without a response"));
            metrics.request(route.template, method, exchange.status() == 0 ? 499 : exchange.status(),
                    nanoClock.getAsLong() - start);
        }
        return true;
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
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

    private void api(Exchange exchange, Route route, String path) {
        Optional<String> bearer = exchange.bearerKey();
        switch (route) {
            case MODELS -> {
                authenticateModels(bearer);
                exchange.sendJson(200, bodies.modelList(catalog.names(), startedEpochSecond));
            }
            case MODEL -> {
                authenticateModels(bearer);
                String id = path.substring("/v1/models/".length());
                if (catalog.find(id).isEmpty()) {
                    throw new ApiException(ApiError.modelNotFound(id));
                }
                exchange.sendJson(200, bodies.model(id, startedEpochSecond));
            }
            case CHAT, COMPLETIONS -> {
                JsonNode body = exchange.readJson(maxRequestBytes);
                exchange.tolerateSilence();
                try (CallerKey key = bearer.map(CallerKey::of).orElse(null)) {
                    if (route == Route.CHAT) {
                        ApiCall<ChatRequest> call = parser.chat(body, key);
                        chat.handle(exchange, call);
                    } else {
                        ApiCall<GenerateRequest> call = parser.completion(body, key);
                        completions.handle(exchange, call);
                    }
                }
            }
            default -> throw new IllegalStateException("not an API route: " + route);
        }
    }

    /** {@code /v1/models} has no assistant call behind it: check the key here when an authenticator is given. */
    private void authenticateModels(Optional<String> bearer) {
        if (modelsAuthenticator == null) {
            return;
        }
        char[] key = bearer.map(String::toCharArray).orElse(null);
        try {
            modelsAuthenticator.authenticate(key);
        } finally {
            if (key != null) {
                Arrays.fill(key, '\0');
            }
        }
    }
}
