package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;

/**
 * One step on the path of a request (authenticate, authorize, rate-limit, schedule, record, generate), composed as
 * a chain: each step does its job and passes the call on, or ends it by throwing an
 * {@link dev.assistant.api.AssistantException}.
 */
@FunctionalInterface
public interface CallStep {

    Completion handle(Call call, Chain next);

    /** The rest of the chain after a step. */
    @FunctionalInterface
    interface Chain {
        Completion proceed(Call call);
    }

    /** Links {@code steps} in order in front of {@code last}. */
    static Chain link(java.util.List<CallStep> steps, Chain last) {
        Chain chain = last;
        for (int i = steps.size() - 1; i >= 0; i--) {
            CallStep step = steps.get(i);
            Chain next = chain;
            chain = call -> step.handle(call, next);
        }
        return chain;
    }
}
