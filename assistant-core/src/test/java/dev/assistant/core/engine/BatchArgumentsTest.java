package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchArgumentsTest {
    private static final class Owned implements Sequence {
        final Object owner;

        Owned(Object owner) {
            this.owner = owner;
        }

        @Override
        public int length() {
            return 0;
        }

        @Override
        public int capacity() {
            return 1;
        }

        @Override
        public float[] forward(int[] tokens) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        public float[][] forwardAll(int[] tokens) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        public void truncate(int length) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        public void close() {
        }
    }

    private final Object model = new Object();

    private Owned[] owned(List<? extends Sequence> sequences, List<int[]> inputs) {
        return BatchArguments.owned(sequences, inputs, Owned.class, s -> s.owner == model, Owned[]::new);
    }

    @Test
    void returnsTheSequencesInOrder() {
        Owned a = new Owned(model);
        Owned b = new Owned(model);
        Owned[] result = owned(List.of(a, b), List.of(new int[] {1}, new int[] {2}));
        assertEquals(2, result.length);
        assertSame(a, result[0]);
        assertSame(b, result[1]);
    }

    @Test
    void rejectsMismatchedOrEmptyBatches() {
        Owned a = new Owned(model);
        assertThrows(IllegalArgumentException.class, () -> owned(List.of(a), List.of()));
        assertThrows(IllegalArgumentException.class, () -> owned(List.of(), List.of()));
    }

    @Test
    void rejectsForeignAndRepeatedSequences() {
        Owned a = new Owned(model);
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> owned(List.of(a, new Owned(new Object())), List.of(new int[] {1}, new int[] {2})));
        assertTrue(foreign.getMessage().contains("sequence 1 was not created by this model"), foreign.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> owned(List.of(a, a), List.of(new int[] {1}, new int[] {2})));
        assertTrue(twice.getMessage().contains("appears twice"), twice.getMessage());
    }

    @Test
    void checksCapacityAgainstTheContext() {
        BatchArguments.checkCapacity(1, 4);
        BatchArguments.checkCapacity(4, 4);
        assertEquals(ErrorCode.CONTEXT_OVERFLOW,
                assertThrows(AssistantException.class, () -> BatchArguments.checkCapacity(5, 4)).code());
        assertEquals(ErrorCode.CONTEXT_OVERFLOW,
                assertThrows(AssistantException.class, () -> BatchArguments.checkCapacity(0, 4)).code());
    }

    @Test
    void splitsFlatLogitsIntoRows() {
        float[][] rows = BatchArguments.splitRows(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {1, 2, 3}, rows[0]);
        assertArrayEquals(new float[] {4, 5, 6}, rows[1]);
    }
}
