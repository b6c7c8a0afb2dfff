package dev.assistant.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.server.openai.ApiError;
import dev.assistant.server.openai.ApiException;
import dev.assistant.server.openai.RequestJson;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One HTTP request and its response, on Jetty's core API, with blocking helpers: the handler runs on a pooled
 * thread that may wait, so writes block until the bytes are handed to the socket (a client that stops reading
 * stalls only its own request, until the idle timeout drops it).
 *
 * <p>The Jetty {@link Callback} is completed exactly once, by {@link #sendJson}, {@link #sendText},
 * {@link #finishStream} or {@link #abort}.
 */
final class Exchange {
    /** A refused body is read and dropped up to this many times the size limit (see {@link #readJson}). */
    static final int DRAIN_FACTOR = 16;

    static final String JSON = "application/json";
    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final ObjectMapper json;
    private final AtomicBoolean completed = new AtomicBoolean();
    private volatile int status;
    private volatile boolean writing;

    Exchange(Request request, Response response, Callback callback, ObjectMapper json) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.json = json;
    }

    String method() {
        return request.getMethod();
    }

    String path() {
        return Request.getPathInContext(request);
    }

    /** The status sent (0 before the response is committed). */
    int status() {
        return status;
    }

    boolean completed() {
        return completed.get();
    }

    /**
     * The key of an {@code Authorization: Bearer <key>} header, or empty. Any other scheme counts as no key, so
     * the assistant's authentication answers {@code missing_key}. Two {@code Authorization} headers are a 400
     * (which one counts would otherwise depend on the proxy in front).
     */
    Optional<String> bearerKey() {
        String header = singleHeader(HttpHeader.AUTHORIZATION);
        if (header == null) {
            return Optional.empty();
        }
        String h = header.strip();
        if (h.length() > 7 && h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            String key = h.substring(7).strip();
            return key.isEmpty() ? Optional.empty() : Optional.of(key);
        }
        return Optional.empty();
    }

    /** Called if the connection fails while the request is being handled (the client went away). */
    void onFailure(Consumer<Throwable> listener) {
        request.addFailureListener(listener);
    }

    /**
     * While the model works, the connection is legitimately silent: an idle timeout then must not fail the
     * request (the request timeout bounds it). A write still pending at the idle timeout (a client that stopped
     * reading) does fail it, and with it the generation.
     */
    void tolerateSilence() {
        // true = fail the request: only when a write is stuck (the client stopped reading).
        request.addIdleTimeoutListener(timeout -> writing);
    }

    /**
     * Parses a body read by {@link BodyReader}: one JSON value, nothing after it; malformed JSON is a 400 with a
     * plain message (see {@link JsonErrors}).
     */
    JsonNode parseJson(byte[] body) {
        return RequestJson.read(json, body);
    }

    /** The declared body length, or -1 (chunked). */
    long declaredLength() {
        return request.getLength();
    }

    /** The request's single value of {@code name}, or null; a header that must not repeat gets 400 when it does. */
    String singleHeader(HttpHeader name) {
        List<String> values = request.getHeaders().getValuesList(name);
        if (values.size() > 1) {
            throw new ApiException(ApiError.invalid(null, "The " + name.asString() + " header must be sent once."));
        }
        return values.isEmpty() ? null : values.get(0);
    }

    /** The request itself, for {@link BodyReader}. */
    Request request() {
        return request;
    }

    void sendJson(int status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response could not be serialised", e);
        }
        send(status, JSON, bytes);
    }

    void sendError(ApiError error) {
        error.retryAfterSeconds().ifPresent(s -> response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(s)));
        sendJson(error.status(), error.toJson(json));
    }

    void sendText(int status, String contentType, String body) {
        send(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets a response header; only before the response is committed. */
    void header(HttpHeader name, String value) {
        response.getHeaders().put(name, value);
    }

    private void send(int status, String contentType, byte[] bytes) {
        if (completed.get()) {
            return;
        }
        this.status = status;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(bytes.length));
        try {
            write(true, bytes);
            complete(null);
        } catch (IOException e) {
            complete(e);
        }
    }

    /** Commits a 200 server-sent-events response. */
    void startStream() throws IOException {
        this.status = 200;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, EVENT_STREAM);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("X-Accel-Buffering", "no"); // let reverse proxies pass events at once
        write(false, new byte[0]);
    }

    /** Writes one {@code data:} event and waits until it is handed to the connection. */
    void writeEvent(String data) throws IOException {
        write(false, ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    void writeEvent(JsonNode data) throws IOException {
        writeEvent(json.writeValueAsString(data));
    }

    /** Ends a stream normally. */
    void finishStream() {
        try {
            write(true, new byte[0]);
            complete(null);
        } catch (IOException e) {
            complete(e);
        }
    }

    /** Gives up on the response (the connection is closed without a proper end). */
    void abort(Throwable cause) {
        complete(cause);
    }

    private void write(boolean last, byte[] bytes) throws IOException {
        writing = true;
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(last, ByteBuffer.wrap(bytes), blocker);
            blocker.block();
        } finally {
            writing = false;
        }
    }

    private void complete(Throwable failure) {
        if (completed.compareAndSet(false, true)) {
            if (failure == null) {
                callback.succeeded();
            } else {
                callback.failed(failure);
            }
        }
    }
}
