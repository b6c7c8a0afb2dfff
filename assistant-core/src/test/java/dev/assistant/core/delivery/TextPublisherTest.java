package dev.assistant.core.delivery;

import dev.assistant.core.Completion;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Pieces already buffered when a subscriber cancels from inside {@code onNext} never reach it. */
class TextPublisherTest {

    @Test
    void aSubscriberThatCancelsInOnNextGetsNothingMore() {
        CompletableFuture<Completion> running = new CompletableFuture<>();
        // the request produces three pieces and completes before the subscriber sees the first one
        TextPublisher publisher = new TextPublisher(listener -> {
            listener.onText("a");
            listener.onText("b");
            listener.onText("c");
            listener.onComplete(null);
            return running;
        }, Runnable::run);
        List<String> seen = new ArrayList<>();
        AtomicBoolean terminated = new AtomicBoolean();
        publisher.subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription subscription;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String item) {
                seen.add(item);
                subscription.cancel();
            }

            @Override
            public void onError(Throwable t) {
                terminated.set(true);
            }

            @Override
            public void onComplete() {
                terminated.set(true);
            }
        });
        assertThat(seen).containsExactly("a");
        assertThat(terminated).as("no terminal signal after cancel").isFalse();
        assertThat(running).as("the request is stopped").isCancelled();
    }
}
