package dev.assistant.engine.pytorch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;

/**
 * A ragged batch ({@link Segments}) as the arguments the shipped TorchScript modules take after their tensors:
 * {@code keys: List[Tensor], values: List[Tensor]} (each sequence's cache of one layer) and
 * {@code past: List[int], lengths: List[int]}. Each method returns a new IValue the caller closes.
 */
final class SegmentArguments {
    private SegmentArguments() {
    }

    /** The key caches of {@code layer}, one per segment (the tensors themselves: modules write into them). */
    static IValue keys(Segments segments, int layer) {
        PtNDArray[] keys = new PtNDArray[segments.count()];
        for (int s = 0; s < keys.length; s++) {
            keys[s] = (PtNDArray) segments.cache(s).keys(layer);
        }
        return IValue.listFrom(keys);
    }

    /** The value caches of {@code layer}, one per segment. */
    static IValue values(Segments segments, int layer) {
        PtNDArray[] values = new PtNDArray[segments.count()];
        for (int s = 0; s < values.length; s++) {
            values[s] = (PtNDArray) segments.cache(s).values(layer);
        }
        return IValue.listFrom(values);
    }

    /** Where each segment starts: its sequence's length before this pass. */
    static IValue past(Segments segments) {
        long[] past = new long[segments.count()];
        for (int s = 0; s < past.length; s++) {
            past[s] = segments.past(s);
        }
        return IValue.listFrom(past);
    }

    /** Rows of each segment. */
    static IValue lengths(Segments segments) {
        long[] lengths = new long[segments.count()];
        for (int s = 0; s < lengths.length; s++) {
            lengths[s] = segments.length(s);
        }
        return IValue.listFrom(lengths);
    }
}
