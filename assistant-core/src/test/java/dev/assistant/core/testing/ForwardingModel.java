package dev.assistant.core.testing;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelConfig;

import java.util.List;

/**
 * Delegates every call to a real model; tests override a method or two to inject what a real machine produces rarely
 * (a failing pass, an engine held busy).
 */
public class ForwardingModel implements CausalLanguageModel {
    private final CausalLanguageModel delegate;

    public ForwardingModel(CausalLanguageModel delegate) {
        this.delegate = delegate;
    }

    @Override
    public ModelConfig config() {
        return delegate.config();
    }

    @Override
    public int contextLength() {
        return delegate.contextLength();
    }

    @Override
    public Sequence newSequence(int capacity) {
        return delegate.newSequence(capacity);
    }

    /** {@code forwardBatchInto} keeps its default, which calls this: an override here sees the engine's steps too. */
    @Override
    public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        return delegate.forwardBatch(sequences, inputs);
    }

    @Override
    public long kvCacheBytes(int capacity) {
        return delegate.kvCacheBytes(capacity);
    }

    @Override
    public KvCacheType kvCacheType() {
        return delegate.kvCacheType();
    }

    @Override
    public long activationBytes(int rows, int longestSequence) {
        return delegate.activationBytes(rows, longestSequence);
    }

    @Override
    public long weightBytes() {
        return delegate.weightBytes();
    }

    @Override
    public String computeType() {
        return delegate.computeType();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
