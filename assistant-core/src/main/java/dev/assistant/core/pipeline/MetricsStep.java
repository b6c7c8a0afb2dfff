package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;

import java.util.concurrent.CompletableFuture;

/**
 * The first step: starts the call's timer and records its outcome, so that every call, including those refused
 * by authentication, policies, rate limits or overload, is measured and logged exactly once.
 */
public final class MetricsStep implements CallStep {
    private final RequestMetrics metrics;

    public MetricsStep(RequestMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public CompletableFuture<Completion> handle(Call call, Chain next) {
        RequestTimer timer = metrics.start(call.requestInfo());
        call.timer(timer);
        return next.proceed(call).whenComplete((c, e) -> {
            if (e == null) {
                timer.succeeded(c.usage().promptTokens(), c.usage().completionTokens());
            } else {
                timer.failed(Failures.unwrap(e));
            }
        });
    }
}
