package dev.assistant.core.generation;

import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One token per call: the first stop wins, and its reason reaches every stop action exactly once. */
class CancellationTokenTest {

    @Test
    void theFirstStopWinsAndEveryActionRunsOnceWithItsReason() {
        CancellationToken token = new CancellationToken(1_000);
        List<ErrorCode> heard = new ArrayList<>();
        token.whenStopped(e -> heard.add(e.code()));
        assertThat(token.isPastDeadline(999)).isFalse();
        assertThat(token.isPastDeadline(1_000)).isTrue();
        assertThat(token.expire()).isTrue();
        assertThat(token.cancel()).isFalse();
        assertThat(token.reason().code()).isEqualTo(ErrorCode.TIMEOUT);
        token.whenStopped(e -> heard.add(e.code())); // registered late: runs at once
        assertThat(heard).containsExactly(ErrorCode.TIMEOUT, ErrorCode.TIMEOUT);
    }

    @Test
    void aTokenWithoutDeadlineNeverExpiresByTime() {
        CancellationToken token = CancellationToken.noDeadline();
        assertThat(token.isPastDeadline(Long.MAX_VALUE)).isFalse();
        assertThat(token.isPastDeadline(Long.MIN_VALUE)).isFalse();
        assertThat(token.cancel()).isTrue();
        assertThat(token.reason().code()).isEqualTo(ErrorCode.CANCELLED);
    }
}
