package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.generation.BatchingEngine;
import dev.assistant.core.generation.GenerationRequest;
import dev.assistant.core.generation.Generator;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.StreamingDecoder;

import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/**
 * The last step: prompt to tokens (chat template or plain text), then the request joins the {@link BatchingEngine}
 * and the step returns at once; the engine completes the call's future, so no thread waits for the model. The call's
 * {@link dev.assistant.core.generation.CancellationToken} (its cancellation and its deadline) goes with the job: when
 * it is stopped the future fails at once with {@code CANCELLED} or {@code TIMEOUT} and the engine frees the place
 * and the KV cache at its next step.
 *
 * <p>Everything that follows the engine's result (the chain's outcome actions, then the caller's future) runs on
 * the callback executor: the engine thread only hands the result over. Tokens and text reach the call's listener
 * (the facade's per-request relay, which only enqueues) and its progress counters on the engine thread.
 */
public final class GenerationStep implements CallStep.Chain {
    private static final String ANONYMOUS = "";

    private final BatchingEngine engine;
    private final ModelTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final RandomGenerator seeds;
    private final Executor callbacks;

    /**
     * @param seeds     seeds of requests that set none
     * @param callbacks where the outcome is handed over from the engine thread (and metrics events run)
     */
    public GenerationStep(BatchingEngine engine, ModelTokenizer tokenizer, Set<Integer> eosIds, RandomGenerator seeds,
                          Executor callbacks) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.eosIds = Set.copyOf(eosIds);
        this.seeds = Objects.requireNonNull(seeds, "seeds");
        this.callbacks = Objects.requireNonNull(callbacks, "callbacks");
    }

    @Override
    public CompletableFuture<Completion> proceed(Call call) {
        int[] promptIds = promptIds(call);
        GenerationOptions o = call.options();
        GenerationRequest request = new GenerationRequest(promptIds, o.maxNewTokens(), o.sampling(), o.stopStrings(),
                eosIds, o.ignoreStops(), tokenizer.vocabSize());
        RandomGenerator random = new SplittableRandom(o.sampling().seed().orElseGet(this::nextSeed));
        StreamingDecoder decoder = tokenizer.newStreamingDecoder(true);
        Generator.TextStream stream = new Generator.TextStream() {
            @Override
            public String push(int id) {
                return decoder.push(id);
            }

            @Override
            public String flush() {
                return decoder.flush();
            }
        };
        Generator.Listener listener = new Generator.Listener() {
            private boolean first = true;

            @Override
            public void onToken(int id) {
                call.tokenProduced();
                if (first) {
                    first = false;
                    callbacks.execute(() -> call.timer().firstToken()); // metrics listeners are host code
                }
            }

            @Override
            public void onText(String delta) {
                call.listener().onText(delta);
            }
        };
        // Fair turns between authenticated callers (by key id, never the key); unauthenticated callers share a turn.
        String fairnessKey = call.keyId() != null ? call.keyId() : ANONYMOUS;
        BatchingEngine.Job job = new BatchingEngine.Job(request, stream, listener, random, fairnessKey, call.token(),
                depth -> {
                    call.promptEvaluating(promptIds.length);
                    callbacks.execute(() -> call.timer().dequeued(depth));
                });
        call.timer().enqueued(engine.queueDepth() + 1);
        BatchingEngine.Ticket ticket = engine.submit(job);
        // The ticket completes on the engine thread or on whichever thread stopped the token: hand over at once.
        return ticket.result().handleAsync((result, error) -> {
            if (error != null) {
                throw new CompletionException(Failures.unwrap(error));
            }
            return new Completion(call.requestId(), call.model(), promptIds, result.outputIds(), result.text(),
                    result.usage());
        }, callbacks);
    }

    private synchronized long nextSeed() {
        return seeds.nextLong();
    }

    private int[] promptIds(Call call) {
        if (call.chatRequest() != null) {
            return tokenizer.encodeChat(call.chatRequest().messages(), true);
        }
        GenerateRequest g = call.generateRequest();
        return g.prompt() != null ? tokenizer.encode(g.prompt(), true) : g.inputIds();
    }
}
