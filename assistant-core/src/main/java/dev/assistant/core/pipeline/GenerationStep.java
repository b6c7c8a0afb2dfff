package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.generation.GenerationRequest;
import dev.assistant.core.generation.GenerationResult;
import dev.assistant.core.generation.Generator;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.StreamingDecoder;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The last step: prompt to tokens (chat template or plain text), the decoding loop, tokens to text. Library
 * failures below it (native errors) become typed errors here.
 */
public final class GenerationStep implements CallStep.Chain {
    private final CausalLanguageModel model;
    private final ModelTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final LongSupplier nanoClock;
    private final RandomGenerator seeds;

    public GenerationStep(CausalLanguageModel model, ModelTokenizer tokenizer, Set<Integer> eosIds, LongSupplier nanoClock,
                          RandomGenerator seeds) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
        this.nanoClock = nanoClock;
        this.seeds = seeds;
    }

    @Override
    public Completion proceed(Call call) {
        int[] promptIds = promptIds(call);
        GenerationOptions o = call.options();
        GenerationRequest request = new GenerationRequest(promptIds, o.maxNewTokens(), o.sampling(), o.stopStrings(),
                eosIds, o.ignoreStops());
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
                call.listener().onText(delta);
            }
        };
        GenerationResult result;
        try {
            result = new Generator(model, nanoClock).run(request, stream, listener, random, call::isCancelled);
        } catch (AssistantException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "out of memory while generating for request "
                    + call.requestId(), e);
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "generation failed for request " + call.requestId() + ": "
                    + e.getMessage(), e);
        }
        if (result.finishReason() == dev.assistant.core.generation.FinishReason.CANCELLED && call.isCancelled()) {
            throw new AssistantException(ErrorCode.CANCELLED, "request " + call.requestId() + " was cancelled after "
                    + result.usage().completionTokens() + " tokens");
        }
        return new Completion(call.requestId(), call.model(), promptIds, result.outputIds(), result.text(), result.usage());
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
