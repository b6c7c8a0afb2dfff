package dev.assistant.metrics;

import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.CompositeMetricsListener;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.ErrorCode;
import dev.assistant.metrics.memory.InMemoryMetrics;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class CompositeMetricsListenerTest {
    /** Throws on every event, like a listener with a bug. */
    static final class ThrowingListener implements MetricsListener {
        @Override
        public void requestStarted(RequestInfo request) {
            throw new IllegalStateException("listener bug");
        }

        @Override
        public void firstToken(RequestInfo request, long ttftNanos) {
            throw new NullPointerException("listener bug");
        }

        @Override
        public void requestSucceeded(RequestInfo r, long latency, int prompt, int completion, long tpot) {
            throw new IllegalStateException("listener bug");
        }

        @Override
        public void requestFailed(RequestInfo r, long latency, ErrorCode code, String reason) {
            throw new AssertionError("listener bug");
        }
    }

    @Test
    void aListenerThatThrowsDoesNotBreakTheRequestAndTheOthersStillRecord() {
        ManualTicker ticker = new ManualTicker();
        InMemoryMetrics memory = InMemoryMetrics.builder().ticker(ticker).build();
        RecordingListener recording = new RecordingListener();
        MetricsListener composite = MetricsListener.composite(new ThrowingListener(), memory, recording);
        RequestMetrics metrics = new RequestMetrics(composite, ticker);
        RequestInfo info = new RequestInfo("r1", "k1", "tiny", Operation.GENERATE);

        assertThatCode(() -> {
            RequestTimer ok = metrics.start(info);
            ok.firstToken();
            ok.succeeded(3, 4);
            metrics.start(info).failed(ErrorCode.RATE_LIMITED, "bucket_empty");
        }).doesNotThrowAnyException();

        assertThat(memory.snapshot().model("tiny")).hasValueSatisfying(m -> {
            assertThat(m.started()).isEqualTo(2);
            assertThat(m.succeeded()).isEqualTo(1);
            assertThat(m.rateLimited()).isEqualTo(1);
        });
        assertThat(recording.events).hasSize(5);
        CompositeMetricsListener c = (CompositeMetricsListener) composite;
        assertThat(c.errorCount(0)).isEqualTo(5);
        assertThat(c.errorCount(1)).isZero();
        assertThat(c.errorCount()).isEqualTo(5);
    }

    @Test
    void aSingleRawListenerIsGuardedByRequestMetrics() {
        RequestMetrics metrics = new RequestMetrics(new ThrowingListener(), new ManualTicker());
        assertThat(metrics.listener()).isInstanceOf(CompositeMetricsListener.class);
        assertThatCode(() -> metrics.start(new RequestInfo("r", null, "m", Operation.CHAT)).succeeded(1, 1))
                .doesNotThrowAnyException();
    }

    @Test
    void anEmptyCompositeIsTheNoOpListener() {
        assertThat(MetricsListener.composite(List.of())).isSameAs(MetricsListener.NONE);
        assertThat(MetricsListener.composite(MetricsListener.NONE)).isSameAs(MetricsListener.NONE);
        assertThat(RequestMetrics.NONE.listener()).isSameAs(MetricsListener.NONE);
    }
}
