package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.generation.BatchingEngine;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallScanner;
import dev.assistant.core.tools.ToolTurn;
import dev.assistant.core.generation.GenerationRequest;
import dev.assistant.core.generation.GenerationResult;
import dev.assistant.core.generation.Generator;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.StreamingDecoder;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    }

    @Override
    public Completion proceed(Call call) {
        ToolTurn tools = call.chatRequest() != null ? ToolTurn.plan(call.chatRequest(), tokenizer) : null;
        int[] promptIds = tools != null ? tokenizer.encode(tools.prompt(), tools.addSpecialTokens()) : promptIds(call);
        GenerationOptions o = tools != null ? tools.options(call.options()) : call.options();
        ToolCallScanner scanner = tools != null && tools.parsesCalls()
                ? tools.scanner(toolCallIdPrefix(call), call.listener()) : null;
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
                if (first) {
                    first = false;
                    call.timer().firstToken();
                }
            }

            @Override
            public void onText(String delta) {
                if (scanner != null) {
                    scanner.push(delta);
                } else {
                    call.listener().onText(delta);
                }
            }
        };
        Duration timeout = o.timeout() != null ? o.timeout() : defaultTimeout;
        long deadline = saturatedAdd(call.startNanos(), timeout.toNanos());
        // Fair turns between authenticated callers (by key id, never the key); unauthenticated callers share a turn.
        String fairnessKey = call.keyId() != null ? call.keyId() : ANONYMOUS;
        BatchingEngine.Job job = new BatchingEngine.Job(request, stream, listener, random, fairnessKey, deadline,
                call::isCancelled, depth -> call.timer().dequeued(depth));
        call.timer().enqueued(engine.queueDepth() + 1);
        BatchingEngine.Ticket ticket = engine.submit(job);
        GenerationResult result = await(call, ticket, deadline, timeout);
        if (result.finishReason() == FinishReason.CANCELLED && call.isCancelled()) {
            throw new AssistantException(ErrorCode.CANCELLED, "request " + call.requestId() + " was cancelled after "
                    + result.usage().completionTokens() + " tokens");
        }
        if (scanner == null) {
            return new Completion(call.requestId(), call.model(), promptIds, result.outputIds(), result.text(),
                    result.usage());
        }
        scanner.finish();
        List<ToolCall> calls = scanner.calls();
        Usage usage = result.usage();
        if (!calls.isEmpty() && (usage.finishReason() == FinishReason.EOS
                || usage.finishReason() == FinishReason.STOP_STRING)) {
            usage = new Usage(usage.promptTokens(), usage.completionTokens(), usage.timeToFirstTokenNanos(),
                    usage.totalNanos(), FinishReason.TOOL_CALLS);
        }
        String text = calls.isEmpty() ? scanner.content() : scanner.content().strip();
        return new Completion(call.requestId(), call.model(), promptIds, result.outputIds(), text, usage, List.of(),
                List.of(new Completion.Choice(0, result.outputIds(), text, usage.finishReason(), List.of())), calls);
    }

    /** Call ids derive from the request id, so they are unique across requests without another random source. */
    private static String toolCallIdPrefix(Call call) {
        String id = call.requestId();
        return "call_" + (id.startsWith("req-") ? id.substring(4) : id) + "_";
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
