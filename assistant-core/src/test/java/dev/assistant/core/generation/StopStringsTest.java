package dev.assistant.core.generation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StopStringsTest {

    @Test
    void cutsExactlyBeforeTheStopStringEvenAcrossPieces() {
        StopStrings s = new StopStrings(List.of("END"));
        StringBuilder streamed = new StringBuilder();
        for (String piece : new String[]{"Hello E", "N", "D tail"}) {
            streamed.append(s.append(piece));
        }
        streamed.append(s.flush());
        assertThat(s.stopped()).isTrue();
        assertThat(streamed.toString()).isEqualTo("Hello ");
        assertThat(s.textSoFar()).isEqualTo("Hello ");
    }

    @Test
    void heldBackPrefixIsReleasedWhenItTurnsOutNotToBeAStop() {
        StopStrings s = new StopStrings(List.of("\n\nUser:"));
        assertThat(s.append("one\n")).isEqualTo("one");
        assertThat(s.append("\nU")).isEmpty();
        assertThat(s.append("nder")).isEqualTo("\n\nUnder");
        assertThat(s.stopped()).isFalse();
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopStrings s = new StopStrings(List.of("cd", "b"));
        s.append("abcde");
        assertThat(s.textSoFar()).isEqualTo("a");
    }

    @Test
    void flushReleasesTheTailWhenGenerationEndsOtherwise() {
        StopStrings s = new StopStrings(List.of("xyz"));
        assertThat(s.append("abx")).isEqualTo("ab");
        assertThat(s.flush()).isEqualTo("x");
        assertThat(s.textSoFar()).isEqualTo("abx");
    }
}
