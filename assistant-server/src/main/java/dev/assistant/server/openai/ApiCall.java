package dev.assistant.server.openai;

import java.util.Objects;

/**
 * One parsed OpenAI request: which model it addresses, how to answer, and the assistant request to run.
 *
 * @param model        the {@code model} field, matched against the served models' names
 * @param stream       answer with server-sent events
 * @param includeUsage with {@code stream}, send a last chunk with token usage ({@code stream_options.include_usage})
 * @param request      the {@code ChatRequest} or {@code GenerateRequest}
 * @param <R>          the request type
 */
public record ApiCall<R>(String model, boolean stream, boolean includeUsage, R request) {
    public ApiCall {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(request, "request");
    }
}
