package dev.assistant.core.generation;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelConfig;

import java.util.List;

/** Delegates to a real model; tests override one method to inject the failures a real machine produces rarely. */
class ForwardingModel implements CausalLanguageModel {
    private final CausalLanguageModel delegate;

    ForwardingModel(CausalLanguageModel delegate) {
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

    @Override
    public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        return delegate.forwardBatch(sequences, inputs);
    }

    @Override
    public long kvCacheBytes(int capacity) {
        return delegate.kvCacheBytes(capacity);
    }

    @Override
    public dev.assistant.core.engine.KvCacheType kvCacheType() {
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
