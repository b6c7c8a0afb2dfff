package dev.assistant.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.StreamListener;
import dev.assistant.core.tools.ToolCallDelta;
import dev.assistant.server.openai.ApiCall;
import dev.assistant.server.openai.ApiError;
import dev.assistant.server.openai.ApiException;
import dev.assistant.server.openai.ResponseBodies;
import dev.assistant.server.openai.ResponseBodies.Kind;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs one parsed completion request against the addressed assistant and answers it, whole or as server-sent
 * events.
 *
 * <p>Streaming: the assistant's listener only enqueues (it runs on the assistant's callback executor, whose threads
 * are shared by every request and must not wait for a slow client); this request's HTTP thread takes events off the
 * queue and writes them. The HTTP status is
 * chosen at the first event, so failures before any text (authentication, policy, rate limit, overload) are
 * proper 4xx/5xx answers, not a 200 stream with an error inside. When a write fails (the client went away or
 * stopped reading past the idle timeout), or the connection fails, the generation is cancelled: it stops at the
 * next token.
 *
 * @param <R> the assistant request type
 */
final class CompletionEndpoint<R> {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionEndpoint.class);
    /** Beyond the request's own timeout (enforced by the assistant), how long to wait before giving up here. */
    private static final Duration SLACK = Duration.ofSeconds(10);

    /** Starts a request on an assistant: {@code chatStream} or {@code generateStream}. */
    @FunctionalInterface
    interface Starter<R> {
        CompletableFuture<Completion> start(Assistant assistant, R request, StreamListener listener);
    }

    private final Kind kind;
    private final Starter<R> starter;
    private final ModelCatalog catalog;
    private final ResponseBodies bodies;
    private final ObjectMapper json;
    private final Clock clock;
    private final Supplier<String> ids;
    private final ServerMetrics metrics;
    private final InFlight inFlight;
    private final Duration maxWait;

    CompletionEndpoint(Kind kind, Starter<R> starter, ModelCatalog catalog, ResponseBodies bodies, ObjectMapper json,
                       Clock clock, Supplier<String> ids, ServerMetrics metrics, InFlight inFlight,
                       Duration requestTimeout) {
        this.kind = kind;
        this.starter = starter;
        this.catalog = catalog;
        this.bodies = bodies;
        this.json = json;
        this.clock = clock;
        this.ids = ids;
        this.metrics = metrics;
        this.inFlight = inFlight;
        this.maxWait = requestTimeout.plus(SLACK);
    }

    void handle(Exchange exchange, ApiCall<R> call) {
        try (ModelCatalog.Served served = catalog.serve(call.model())) {
            Assistant assistant = served.assistant();
            String id = kind.idPrefix() + ids.get();
            long created = clock.instant().getEpochSecond();
            if (call.stream()) {
                stream(exchange, assistant, call, id, created, served.version());
            } else {
                whole(exchange, assistant, call, id, created, served.version());
            }
        }
    }

    private static ApiError shuttingDown() {
        return ApiError.unavailable("server_shutting_down",
                "The server stopped before the request finished; retry on another instance.");
    }

    private static void release(AutoCloseable handle) {
        try {
            handle.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void whole(Exchange exchange, Assistant assistant, ApiCall<R> call, String id, long created,
                       String version) {
        CompletableFuture<Completion> future = starter.start(assistant, call.request(), delta -> {
        });
        exchange.onFailure(failure -> {
            if (future.cancel(true)) {
                metrics.abandoned();
            }
        });
        AtomicBoolean cut = new AtomicBoolean();
        AutoCloseable cutHandle = inFlight.onCut(() -> {
            cut.set(true);
            future.cancel(true);
        });
        Completion c;
        try {
            c = future.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new ApiException(ApiError.from(asAssistantException(e.getCause())));
        } catch (CancellationException e) {
            if (cut.get()) {
                exchange.header(HttpHeader.CONNECTION, "close");
                throw new ApiException(shuttingDown());
            }
            exchange.abort(e); // the client went away: nobody to answer
            return;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ApiException(ApiError.from(new AssistantException(ErrorCode.TIMEOUT,
                    "The request did not finish within " + maxWait.toSeconds() + " s.")));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(ApiError.unavailable("server_shutting_down", "The server is stopping."));
        } finally {
            release(cutHandle);
        }
        exchange.sendJson(200, stamp(bodies.completion(kind, id, created, c), version));
    }

    private void stream(Exchange exchange, Assistant assistant, ApiCall<R> call, String id, long created,
                        String version) {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        CompletableFuture<Completion> future = starter.start(assistant, call.request(), new StreamListener() {
            @Override
            public void onText(String delta) {
                onChoiceText(0, delta);
            }

            @Override
            public void onChoiceText(int index, String delta) {
                events.add(new Delta(index, delta));
            }

            @Override
            public void onToolCall(ToolCallDelta delta) {
                events.add(delta);
            }

            @Override
            public void onComplete(Completion completion) {
                events.add(completion);
            }

            @Override
            public void onError(AssistantException error) {
                events.add(error);
            }
        });
        exchange.onFailure(failure -> events.add(new Gone(failure)));
        AutoCloseable cutHandle = inFlight.onCut(() -> events.add(Cut.CUT));
        try {
            stream(exchange, future, events, assistant, call, id, created, version);
        } finally {
            release(cutHandle);
        }
    }

    private void stream(Exchange exchange, CompletableFuture<Completion> future, BlockingQueue<Object> events,
                        Assistant assistant, ApiCall<R> call, String id, long created, String version) {
        String model = assistant.modelInfo().name();
        boolean started = false;
        java.util.Set<Integer> roleSent = new java.util.HashSet<>();
        long deadline = System.nanoTime() + maxWait.toNanos();
        try {
            while (true) {
                Object event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event == null) {
                    future.cancel(true);
                    event = new AssistantException(ErrorCode.TIMEOUT,
                            "The request did not finish within " + maxWait.toSeconds() + " s.");
                }
                if (event instanceof Gone gone) {
                    abandon(exchange, future, gone.cause());
                    return;
                }
                if (event == Cut.CUT) {
                    // The shutdown grace is over: end with an error the client can see, then [DONE], as for any
                    // failure after the first token, rather than a connection that just drops.
                    future.cancel(true);
                    if (!started) {
                        exchange.header(HttpHeader.CONNECTION, "close");
                        throw new ApiException(shuttingDown());
                    }
                    exchange.writeEvent(shuttingDown().toJson(json));
                    exchange.writeEvent("[DONE]");
                    exchange.finishStream();
                    return;
                }
                if (event instanceof AssistantException error) {
                    if (error.code() == ErrorCode.CANCELLED && future.isCancelled()) {
                        abandon(exchange, future, error);
                        return;
                    }
                    if (!started) {
                        throw new ApiException(ApiError.from(error));
                    }
                    // Headers are gone: report in-band as OpenAI does, then end the stream.
                    exchange.writeEvent(ApiError.from(error).toJson(json));
                    exchange.finishStream();
                    return;
                }
                if (!started) {
                    exchange.startStream();
                    started = true;
                }
                if (event instanceof Delta text) {
                    StringBuilder batch = new StringBuilder(text.text());
                    // Coalesce what is already queued: fewer, larger writes when the client is slower than the model.
                    while (events.peek() instanceof Delta more && more.index() == text.index()) {
                        events.poll();
                        batch.append(more.text());
                    }
                    exchange.writeEvent(stamp(bodies.chunk(kind, id, created, model, text.index(),
                            roleSent.add(text.index()), batch.toString(), null, java.util.List.of()), version));
                } else if (event instanceof ToolCallDelta piece) {
                    ToolCallDelta merged = piece;
                    // Coalesce queued argument fragments of the same call, as for text.
                    while (events.peek() instanceof ToolCallDelta more && !more.isStart() && more.index() == piece.index()) {
                        events.poll();
                        merged = new ToolCallDelta(merged.index(), merged.id(), merged.name(),
                                merged.arguments() + more.arguments());
                    }
                    // tool calls come with one choice only (n > 1 is refused with tools)
                    exchange.writeEvent(stamp(bodies.toolCallChunk(id, created, model, roleSent.add(0), merged), version));
                } else if (event instanceof Completion c) {
                    for (Completion.Choice choice : c.choices()) {
                        if (!roleSent.contains(choice.index())) {
                            exchange.writeEvent(stamp(bodies.chunk(kind, id, created, model, choice.index(), true, "", null,
                                    java.util.List.of()), version));
                        }
                        exchange.writeEvent(stamp(bodies.chunk(kind, id, created, model, choice.index(), false, null,
                                ResponseBodies.finishReason(choice.finishReason()), choice.logprobs()), version));
                    }
                    if (call.includeUsage()) {
                        exchange.writeEvent(stamp(bodies.usageChunk(kind, id, created, model, c.usage()), version));
                    }
                    exchange.writeEvent("[DONE]");
                    exchange.finishStream();
                    return;
                }
            }
        } catch (IOException e) {
            abandon(exchange, future, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandon(exchange, future, e);
        }
    }

    private void abandon(Exchange exchange, CompletableFuture<Completion> future, Throwable cause) {
        future.cancel(true);
        metrics.abandoned();
        LOG.debug("client went away; generation cancelled: {}", cause.toString());
        exchange.abort(cause);
    }

    /** The body with the version of the model that answered as its {@code system_fingerprint}, when known. */
    private static JsonNode stamp(JsonNode body, String version) {
        if (version != null && body instanceof ObjectNode object && object.has("system_fingerprint")) {
            object.put("system_fingerprint", version);
        }
        return body;
    }

    private static AssistantException asAssistantException(Throwable t) {
        if (t instanceof AssistantException e) {
            return e;
        }
        return new AssistantException(ErrorCode.INTERNAL, "The request failed: " + t.getClass().getSimpleName(), t);
    }

    /** Text of one choice. */
    private record Delta(int index, String text) {
    }

    /** The server cut the request at the end of its shutdown grace. */
    private enum Cut { CUT }

    /** The connection failed while the answer was being produced. */
    private record Gone(Throwable cause) {
    }
}
