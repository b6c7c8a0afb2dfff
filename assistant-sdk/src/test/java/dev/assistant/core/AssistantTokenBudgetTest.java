package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.security.SecurityEvents;
import dev.assistant.api.security.Admission;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The token budget is charged however a call ends: a stream dropped after some tokens, or a call that times out,
 * pays for its prompt and the tokens produced, so the next call is refused once the budget is spent (real local
 * Bucket4j limiter). The model is held after 25 forward passes, so exactly when the call ends is under the test's
 * control: 25 tokens have been produced and the call has not finished by itself.
 */
class AssistantTokenBudgetTest {
    private static final int BUDGET = 20; // tokens per minute: the prompt plus 25 tokens go past it

    private static Assistant assistant(AtomicReference<HoldingModel> held) {
        return Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .rateLimiter(LocalRateLimiter.create(RateLimitConfig.builder()
                        .defaultPlan(new RatePlan(100, 100, BUDGET)).build(), SecurityEvents.NONE))
                .modelWrapper(m -> {
                    HoldingModel h = new HoldingModel(m);
                    held.set(h);
                    return h;
                }).build();
    }

    private static GenerateRequest.Builder longStory() {
        return GenerateRequest.builder().prompt("Once upon a time").maxNewTokens(300).ignoreStops(true);
    }

    private static void assertNextCallIsRefusedForTokens(Assistant assistant) {
        AssistantException refused = catchThrowableOfType(
                () -> assistant.generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).build()),
                AssistantException.class);
        assertThat(refused).as("the next call should be refused").isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.RATE_LIMITED);
        assertThat(refused.reason()).isEqualTo(Admission.TOKENS);
    }

    /** A listener that counts down when the call's last event (an error here) arrives. */
    private static StreamListener endsWith(CountDownLatch ended, AtomicReference<AssistantException> error) {
        return new StreamListener() {
            @Override
            public void onText(String delta) {
            }

            @Override
            public void onError(AssistantException e) {
                error.set(e);
                ended.countDown();
            }
        };
    }

    @Test
    void aStreamDroppedAfterSomeTokensIsChargedForThem() throws Exception {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        try (Assistant assistant = assistant(held)) {
            held.get().holdAfter(25);
            CountDownLatch ended = new CountDownLatch(1);
            AtomicReference<AssistantException> error = new AtomicReference<>();
            CompletableFuture<Completion> call = assistant.generateStream(longStory().build(), endsWith(ended, error));
            assertThat(held.get().awaitHeldStep()).isTrue();
            call.cancel(true); // what the server does when the client goes away
            // the last event comes after the call has been accounted for
            assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(error.get().code()).isEqualTo(ErrorCode.CANCELLED);
            held.get().release();
            assertNextCallIsRefusedForTokens(assistant);
        }
    }

    @Test
    void aCallThatTimesOutIsChargedForWhatItGenerated() throws Exception {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        try (Assistant assistant = assistant(held)) {
            held.get().holdAfter(25);
            CountDownLatch ended = new CountDownLatch(1);
            AtomicReference<AssistantException> error = new AtomicReference<>();
            // long enough for the 25 passes even on a loaded machine; it then expires while the engine is held
            assistant.generateStream(longStory().timeout(Duration.ofSeconds(3)).build(), endsWith(ended, error));
            assertThat(held.get().awaitHeldStep()).isTrue();
            assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(error.get().code()).isEqualTo(ErrorCode.TIMEOUT);
            held.get().release();
            assertNextCallIsRefusedForTokens(assistant);
        }
    }

    @Test
    void aCallRefusedBeforeTheModelIsNotCharged() {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        try (Assistant assistant = assistant(held)) {
            // an invalid request never reaches the engine: nothing to charge, the budget is intact
            for (int i = 0; i < 5; i++) {
                AssistantException e = catchThrowableOfType(() -> assistant.generate(GenerateRequest.builder()
                        .inputIds(1, 99_999).maxNewTokens(2).build()), AssistantException.class);
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            }
            assertThat(assistant.generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).ignoreStops(true)
                    .build()).outputIds()).hasSize(2);
        }
    }
}
