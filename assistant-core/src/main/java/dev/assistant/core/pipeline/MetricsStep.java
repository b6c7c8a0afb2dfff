package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;

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
    public Completion handle(Call call, Chain next) {
        RequestTimer timer = metrics.start(call.requestInfo());
        call.timer(timer);
        try {
            Completion c = next.proceed(call);
            timer.succeeded(c.usage().promptTokens(), c.usage().completionTokens());
            return c;
        } catch (RuntimeException | Error e) {
            timer.failed(e);
            throw e;
        }
    }
}
