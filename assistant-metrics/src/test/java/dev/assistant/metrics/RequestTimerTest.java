package dev.assistant.metrics;

import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestTimerTest {
    private final ManualTicker ticker = new ManualTicker();
    private final RecordingListener recording = new RecordingListener();
    private final RequestMetrics metrics = new RequestMetrics(recording, ticker);
    private final RequestInfo info = new RequestInfo("r1", null, "tiny", Operation.CHAT);

    @Test
    void reportsQueueWaitTtftLatencyAndTimePerOutputToken() {
        RequestTimer timer = metrics.start(info);
        timer.identified("key-7");
        ticker.advance(Duration.ofMillis(1));
        timer.enqueued(3);
        ticker.advance(Duration.ofMillis(4));
        timer.dequeued(2);
        ticker.advance(Duration.ofMillis(5));
        timer.firstToken();
        ticker.advance(Duration.ofMillis(90));
        timer.firstToken(); // ignored: only the first counts
        assertThat(timer.succeeded(12, 10)).isTrue();

        assertThat(recording.events).containsExactly(
                "started r1 key=null",
                "queueDepth 3",
                "queueWait 4000000",
                "queueDepth 2",
                "firstToken 10000000",
                "succeeded key=key-7 latency=100000000 prompt=12 completion=10 tpot=10000000");
    }

    @Test
    void theFirstTerminalEventWinsAndLaterOnesAreIgnored() {
        RequestTimer timer = metrics.start(info);
        ticker.advance(Duration.ofMillis(7));
        assertThat(timer.failed(new AssistantException(ErrorCode.TIMEOUT, "too slow", "deadline", null, -1)))
                .isTrue();
        assertThat(timer.succeeded(1, 1)).isFalse();
        assertThat(timer.failed(ErrorCode.INTERNAL, null)).isFalse();
        timer.firstToken();

        assertThat(timer.isDone()).isTrue();
        assertThat(recording.events).containsExactly("started r1 key=null",
                "failed key=null latency=7000000 code=TIMEOUT reason=deadline");
    }

    @Test
    void tpotIsUnknownWithoutAFirstTokenOrWithASingleToken() {
        metrics.start(info).succeeded(5, 4);
        RequestTimer single = metrics.start(info);
        single.firstToken();
        single.succeeded(5, 1);
        assertThat(recording.events).filteredOn(e -> e.startsWith("succeeded")).allMatch(e -> e.endsWith("tpot=-1"));
    }

    @Test
    void aNonAssistantExceptionIsReportedAsInternalWithItsClassName() {
        metrics.start(info).failed(new IllegalStateException("boom"));
        assertThat(recording.events).contains("failed key=null latency=0 code=INTERNAL reason=IllegalStateException");
    }

    @Test
    void requestInfoRejectsControlCharactersAndOverlongValues() {
        assertThatThrownBy(() -> new RequestInfo("r\n2", null, "m", Operation.CHAT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestId");
        assertThatThrownBy(() -> new RequestInfo("r", "k".repeat(201), "m", Operation.CHAT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyId");
        assertThatThrownBy(() -> new RequestInfo("r", null, "", Operation.CHAT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model");
    }
}
