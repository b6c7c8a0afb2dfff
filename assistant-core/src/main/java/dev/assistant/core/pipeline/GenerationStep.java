package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.generation.BatchingEngine;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallScanner;
import dev.assistant.core.tools.ToolTurn;
import dev.assistant.core.generation.GenerationRequest;
import dev.assistant.core.generation.GenerationResult;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Generator;
import dev.assistant.core.generation.TokenConstraint;
import dev.assistant.core.generation.TokenScores;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.TokenLogprob;
import dev.assistant.core.structured.StructuredOutput;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.StreamingDecoder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The last step: prompt to tokens (chat template or plain text), then the request joins the {@link BatchingEngine}
 * and the calling thread waits for its answer until the call's deadline (its start plus its timeout, or the
 * default one). A call that runs out of time fails with {@code TIMEOUT} at the deadline, whatever the engine is
 * doing, and leaves the batch at the engine's next step; one cancelled by the caller fails with {@code CANCELLED}.
 */
public final class GenerationStep implements CallStep.Chain {
    private static final String ANONYMOUS = "";

    private final BatchingEngine engine;
    private final ModelTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final LongSupplier nanoClock;
    private final RandomGenerator seeds;
    private final Duration defaultTimeout;
    private final StructuredOutput structured;

    /**
     * @param nanoClock      the clock of {@link Call#startNanos()} and of the engine
     * @param seeds          seeds of requests that set none
     * @param defaultTimeout timeout of requests that set none
     */
    public GenerationStep(BatchingEngine engine, ModelTokenizer tokenizer, Set<Integer> eosIds, LongSupplier nanoClock,
                          RandomGenerator seeds, Duration defaultTimeout) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.eosIds = Set.copyOf(eosIds);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.seeds = Objects.requireNonNull(seeds, "seeds");
        this.defaultTimeout = Objects.requireNonNull(defaultTimeout, "defaultTimeout");
        this.structured = new StructuredOutput(tokenizer);
    }

    @Override
    public Completion proceed(Call call) {
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
        Duration timeout = o.timeout() != null ? o.timeout() : defaultTimeout;
        long deadline = saturatedAdd(call.startNanos(), timeout.toNanos());
        // Fair turns between authenticated callers (by key id, never the key); unauthenticated callers share a turn.
        String fairnessKey = call.keyId() != null ? call.keyId() : ANONYMOUS;
        boolean[] first = {true};
        List<BatchingEngine.Job> jobs = new ArrayList<>(o.n());
        for (int i = 0; i < o.n(); i++) {
            // Choice 0 draws exactly what a single-choice request with the same seed would.
            RandomGenerator random = new SplittableRandom(seed + i * 0x9E3779B97F4A7C15L);
            // the choices leave the queue together: the first one reports it
            IntConsumer admitted = i == 0 ? depth -> call.timer().dequeued(depth) : depth -> {
            };
            jobs.add(new BatchingEngine.Job(request, textStream(), listener(call, i, first, scanner), random,
                    fairnessKey, deadline, call::isCancelled, admitted));
        }
        call.timer().enqueued(engine.queueDepth() + 1);
        List<BatchingEngine.Ticket> tickets = engine.submitChoices(jobs);
        List<GenerationResult> results = new ArrayList<>(tickets.size());
        try {
            for (BatchingEngine.Ticket ticket : tickets) {
                results.add(await(call, ticket, deadline, timeout));
            }
        } finally {
            tickets.forEach(BatchingEngine.Ticket::cancel); // no-op for finished ones; frees the rest on failure
        }
        for (GenerationResult result : results) {
            if (result.finishReason() == FinishReason.CANCELLED && call.isCancelled()) {
                throw new AssistantException(ErrorCode.CANCELLED, "request " + call.requestId() + " was cancelled after "
                        + result.usage().completionTokens() + " tokens");
            }
        }
        Completion completion = completion(call, promptIds, results);
        return scanner == null ? completion : withToolCalls(completion, scanner);
    }

    /** The answer split into text and tool calls; finish reason {@code TOOL_CALLS} when it ended on its own. */
    private static Completion withToolCalls(Completion c, ToolCallScanner scanner) {
        scanner.finish();
        List<ToolCall> calls = scanner.calls();
        Usage usage = c.usage();
        if (!calls.isEmpty() && (usage.finishReason() == FinishReason.EOS
                || usage.finishReason() == FinishReason.STOP_STRING)) {
            usage = new Usage(usage.promptTokens(), usage.completionTokens(), usage.timeToFirstTokenNanos(),
                    usage.totalNanos(), FinishReason.TOOL_CALLS);
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
                u.finishReason());
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

    private static Generator.Listener listener(Call call, int choice, boolean[] first, ToolCallScanner scanner) {
        return new Generator.Listener() {
            @Override
            public void onToken(int id) {
                // every choice runs on the one engine thread, so the flag needs no lock
                if (first[0]) {
                    first[0] = false;
                    call.timer().firstToken();
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

    private GenerationResult await(Call call, BatchingEngine.Ticket ticket, long deadline, Duration timeout) {
        try {
            return ticket.result().get(Math.max(0, deadline - nanoClock.getAsLong()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            ticket.cancel();
            throw new AssistantException(ErrorCode.TIMEOUT, "request " + call.requestId() + " did not finish within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            ticket.cancel();
            Thread.currentThread().interrupt();
            throw new AssistantException(ErrorCode.CANCELLED, "interrupted while waiting for request " + call.requestId());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AssistantException ae) {
                if (ae.code() == ErrorCode.TIMEOUT) {
                    throw new AssistantException(ErrorCode.TIMEOUT, "request " + call.requestId()
                            + " did not finish within " + timeout.toMillis() + " ms (" + ae.getMessage() + ")", ae);
                }
                throw ae;
            }
            throw new AssistantException(ErrorCode.INTERNAL, "generation failed for request " + call.requestId() + ": "
                    + cause, cause);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
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
