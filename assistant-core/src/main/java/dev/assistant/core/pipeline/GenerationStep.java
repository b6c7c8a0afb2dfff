package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.TokenLogprob;
import dev.assistant.core.generation.BatchingEngine;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.GenerationRequest;
import dev.assistant.core.generation.GenerationResult;
import dev.assistant.core.generation.Generator;
import dev.assistant.core.generation.TokenConstraint;
import dev.assistant.core.generation.TokenScores;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.structured.StructuredOutput;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.StreamingDecoder;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallScanner;
import dev.assistant.core.tools.ToolTurn;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;
import java.util.random.RandomGenerator;

/**
 * The last step: prompt to tokens (chat template or plain text, or the tool-calling prompt), then the request's
 * choices join the {@link BatchingEngine} together and the step returns at once; the engine completes the call's
 * future, so no thread waits for the model. The call's {@link dev.assistant.core.generation.CancellationToken} (its
 * cancellation and its deadline) is shared by all its choices: when it is stopped the future fails at once with
 * {@code CANCELLED} or {@code TIMEOUT} and the engine frees the places and the KV caches at its next step. A choice
 * that fails stops the token too, so the other choices do not run on for nothing.
 *
 * <p>Everything that follows the engine's results (the chain's outcome actions, then the caller's future) runs on
 * the callback executor: the engine thread only hands the results over. Tokens and text reach the call's listener
 * (the facade's per-request relay, which only enqueues) and its progress counters on the engine thread.
 */
public final class GenerationStep implements CallStep.Chain {
    private static final String ANONYMOUS = "";

    private final BatchingEngine engine;
    private final ModelTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final RandomGenerator seeds;
    private final Executor callbacks;
    private final StructuredOutput structured;

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
        this.structured = new StructuredOutput(tokenizer);
    }

    @Override
    public CompletableFuture<Completion> proceed(Call call) {
        ToolTurn tools = call.chatRequest() != null ? ToolTurn.plan(call.chatRequest(), tokenizer) : null;
        int[] promptIds = tools != null ? tokenizer.encode(tools.prompt(), tools.addSpecialTokens()) : promptIds(call);
        GenerationOptions o = tools != null ? tools.options(call.options()) : call.options();
        // n > 1 is refused with tools (ChatRequest), so a scanner serves the one choice
        ToolCallScanner scanner = tools != null && tools.parsesCalls()
                ? tools.scanner(toolCallIdPrefix(call), call.listener()) : null;
        TokenConstraint.Factory constraint = structured.constraint(o.responseFormat());
        GenerationRequest request = new GenerationRequest(promptIds, o.maxNewTokens(), o.sampling(), o.stopStrings(),
                eosIds, o.ignoreStops(), tokenizer.vocabSize(), constraint, o.logprobs() ? o.topLogprobs() : -1);
        long seed = o.sampling().seed().orElseGet(this::nextSeed);
        // Fair turns between authenticated callers (by key id, never the key); unauthenticated callers share a turn.
        String fairnessKey = call.keyId() != null ? call.keyId() : ANONYMOUS;
        boolean[] first = {true};
        List<BatchingEngine.Job> jobs = new ArrayList<>(o.n());
        for (int i = 0; i < o.n(); i++) {
            // Choice 0 draws exactly what a single-choice request with the same seed would.
            RandomGenerator random = new SplittableRandom(seed + i * 0x9E3779B97F4A7C15L);
            // the choices leave the queue together: the first one reports it
            IntConsumer admitted = i == 0 ? depth -> {
                call.promptEvaluating(promptIds.length);
                callbacks.execute(() -> call.timer().dequeued(depth));
            } : depth -> {
            };
            jobs.add(new BatchingEngine.Job(request, textStream(), listener(call, i, first, scanner), random,
                    fairnessKey, call.token(), admitted));
        }
        call.timer().enqueued(engine.queueDepth() + 1);
        List<BatchingEngine.Ticket> tickets = engine.submitChoices(jobs);
        // The tickets complete on the engine thread or on whichever thread stopped the token: hand over at once.
        return allChoices(call, tickets).handleAsync((results, error) -> {
            if (error != null) {
                throw new CompletionException(Failures.unwrap(error));
            }
            Completion completion = completion(call, promptIds, results);
            return scanner == null ? completion : withToolCalls(completion, scanner);
        }, callbacks);
    }

    /**
     * The choices' results in order once all are in; the first failure fails it at once and stops the call's token,
     * which ends the other choices too (a no-op when the token's own stop caused the failure).
     */
    private static CompletableFuture<List<GenerationResult>> allChoices(Call call, List<BatchingEngine.Ticket> tickets) {
        CompletableFuture<List<GenerationResult>> all = new CompletableFuture<>();
        GenerationResult[] results = new GenerationResult[tickets.size()];
        java.util.concurrent.atomic.AtomicInteger remaining = new java.util.concurrent.atomic.AtomicInteger(tickets.size());
        for (int i = 0; i < tickets.size(); i++) {
            int index = i;
            tickets.get(i).result().whenComplete((result, error) -> {
                if (error != null) {
                    if (all.completeExceptionally(error)) {
                        call.token().stop(Failures.asAssistantException(error, call.requestId()));
                    }
                    return;
                }
                results[index] = result; // published to the last completer by the counter's decrement
                if (remaining.decrementAndGet() == 0) {
                    all.complete(List.of(results));
                }
            });
        }
        return all;
    }

    /** The answer split into text and tool calls; finish reason {@code TOOL_CALLS} when it ended on its own. */
    private static Completion withToolCalls(Completion c, ToolCallScanner scanner) {
        scanner.finish();
        List<ToolCall> calls = scanner.calls();
        Usage usage = c.usage();
        if (!calls.isEmpty() && (usage.finishReason() == FinishReason.EOS
                || usage.finishReason() == FinishReason.STOP_STRING)) {
            usage = new Usage(usage.promptTokens(), usage.completionTokens(), usage.timeToFirstTokenNanos(),
                    usage.totalNanos(), FinishReason.TOOL_CALLS, usage.cachedPromptTokens());
        }
        String text = calls.isEmpty() ? scanner.content() : scanner.content().strip();
        Completion.Choice only = c.choices().get(0);
        return new Completion(c.requestId(), c.model(), c.inputIds(), c.outputIds(), text, usage, c.logprobs(),
                List.of(new Completion.Choice(0, only.outputIds(), text, usage.finishReason(), only.logprobs())), calls);
    }

    /** Call ids derive from the request id, so they are unique across requests without another random source. */
    private static String toolCallIdPrefix(Call call) {
        String id = call.requestId();
        return "call_" + (id.startsWith("req-") ? id.substring(4) : id) + "_";
    }

    private Completion completion(Call call, int[] promptIds, List<GenerationResult> results) {
        List<Completion.Choice> choices = new ArrayList<>(results.size());
        int completionTokens = 0;
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            choices.add(new Completion.Choice(i, r.outputIds(), r.text(), r.finishReason(), logprobs(r.scores())));
            completionTokens += r.usage().completionTokens();
        }
        GenerationResult head = results.get(0);
        Usage u = head.usage();
        Usage usage = new Usage(u.promptTokens(), completionTokens, u.timeToFirstTokenNanos(), u.totalNanos(),
                u.finishReason(), u.cachedPromptTokens());
        return new Completion(call.requestId(), call.model(), promptIds, head.outputIds(), head.text(), usage,
                choices.get(0).logprobs(), choices);
    }

    private List<TokenLogprob> logprobs(List<TokenScores> scores) {
        List<TokenLogprob> out = new ArrayList<>(scores.size());
        for (TokenScores s : scores) {
            int[] ids = s.topIds();
            double[] lps = s.topLogprobs();
            List<TokenLogprob.Alternative> top = new ArrayList<>(ids.length);
            for (int k = 0; k < ids.length; k++) {
                byte[] b = tokenizer.tokenBytes(ids[k]);
                top.add(new TokenLogprob.Alternative(ids[k], new String(b, StandardCharsets.UTF_8), b, lps[k]));
            }
            byte[] b = tokenizer.tokenBytes(s.id());
            out.add(new TokenLogprob(s.id(), new String(b, StandardCharsets.UTF_8), b, s.logprob(), top));
        }
        return out;
    }

    private Generator.TextStream textStream() {
        StreamingDecoder decoder = tokenizer.newStreamingDecoder(true);
        return new Generator.TextStream() {
            @Override
            public String push(int id) {
                return decoder.push(id);
            }

            @Override
            public String flush() {
                return decoder.flush();
            }
        };
    }

    private Generator.Listener listener(Call call, int choice, boolean[] first, ToolCallScanner scanner) {
        return new Generator.Listener() {
            @Override
            public void onToken(int id) {
                call.tokenProduced();
                // every choice runs on the one engine thread, so the flag needs no lock
                if (first[0]) {
                    first[0] = false;
                    callbacks.execute(() -> call.timer().firstToken()); // metrics listeners are host code
                }
            }

            @Override
            public void onText(String delta) {
                if (scanner != null) {
                    scanner.push(delta); // text and tool-call pieces go to the caller's listener from there
                } else {
                    call.listener().onChoiceText(choice, delta);
                }
            }
        };
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
