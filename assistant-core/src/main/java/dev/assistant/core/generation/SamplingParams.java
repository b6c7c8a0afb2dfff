package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * How the next token is chosen. Immutable and validated; {@link #GREEDY} picks the most likely token.
 *
 * <p>Processing order: logit bias, presence and frequency penalties (OpenAI's, over the generated tokens), then
 * HuggingFace's order: repetition penalty, temperature, top-k, top-p, min-p. A temperature of 0 means greedy (argmax)
 * regardless of the other settings.
 */
public final class SamplingParams {
    public static final SamplingParams GREEDY = builder().build();

    private final double temperature;
    private final int topK;
    private final double topP;
    private final double minP;
    private final double repetitionPenalty;
    private final Long seed;
    private final double presencePenalty;
    private final double frequencyPenalty;
    private final Map<Integer, Double> logitBias;

    private SamplingParams(Builder b) {
        this.presencePenalty = b.presencePenalty;
        this.frequencyPenalty = b.frequencyPenalty;
        this.logitBias = Map.copyOf(b.logitBias);
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.repetitionPenalty = b.repetitionPenalty;
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    public double temperature() {
        return temperature;
    }

    /** 0 means no top-k restriction. */
    public int topK() {
        return topK;
    }

    /** 1 means no nucleus restriction. */
    public double topP() {
        return topP;
    }

    /** 0 means no min-p restriction. */
    public double minP() {
        return minP;
    }

    /** 1 means no penalty. */
    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** The seed of the random choice; empty means a fresh random seed per request. */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    /** Subtracted once from the logit of every token already generated (OpenAI semantics); 0 means off. */
    public double presencePenalty() {
        return presencePenalty;
    }

    /** Subtracted from a token's logit once per time it was already generated (OpenAI semantics); 0 means off. */
    public double frequencyPenalty() {
        return frequencyPenalty;
    }

    /** Added to the logits of the given token ids before sampling; empty means none. */
    public Map<Integer, Double> logitBias() {
        return logitBias;
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public Builder toBuilder() {
        Builder b = new Builder().temperature(temperature).topK(topK).topP(topP).minP(minP)
                .repetitionPenalty(repetitionPenalty).presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty)
                .logitBias(logitBias);
        b.seed = seed;
        return b;
    }

    @Override
    public String toString() {
        return "SamplingParams[temperature=" + temperature + ", topK=" + topK + ", topP=" + topP + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", seed=" + seed
                + (presencePenalty != 0 ? ", presencePenalty=" + presencePenalty : "")
                + (frequencyPenalty != 0 ? ", frequencyPenalty=" + frequencyPenalty : "")
                + (logitBias.isEmpty() ? "" : ", logitBias=" + new TreeMap<>(logitBias)) + "]";
    }

    public static final class Builder {
        private double temperature;
        private int topK;
        private double topP = 1;
        private double minP;
        private double repetitionPenalty = 1;
        private Long seed;
        private double presencePenalty;
        private double frequencyPenalty;
        private Map<Integer, Double> logitBias = Map.of();

        /** 0 (greedy, the default) to 100. */
        public Builder temperature(double temperature) {
            if (!(temperature >= 0 && temperature <= 100)) {
                throw invalid("temperature must be between 0 and 100, was " + temperature);
            }
            this.temperature = temperature;
            return this;
        }

        public Builder topK(int topK) {
            if (topK < 0) {
                throw invalid("top_k must be >= 0 (0 = off), was " + topK);
            }
            this.topK = topK;
            return this;
        }

        public Builder topP(double topP) {
            if (!(topP > 0 && topP <= 1)) {
                throw invalid("top_p must be in (0, 1], was " + topP);
            }
            this.topP = topP;
            return this;
        }

        public Builder minP(double minP) {
            if (!(minP >= 0 && minP <= 1)) {
                throw invalid("min_p must be in [0, 1], was " + minP);
            }
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(double penalty) {
            if (!(penalty > 0 && penalty <= 10)) {
                throw invalid("repetition_penalty must be in (0, 10], was " + penalty);
            }
            this.repetitionPenalty = penalty;
            return this;
        }

        /** -2 to 2 (OpenAI's range): positive values make tokens already generated less likely. */
        public Builder presencePenalty(double penalty) {
            if (!(penalty >= -2 && penalty <= 2)) {
                throw invalid("presence_penalty must be between -2 and 2, was " + penalty);
            }
            this.presencePenalty = penalty;
            return this;
        }

        /** -2 to 2 (OpenAI's range): positive values make tokens less likely the more often they were generated. */
        public Builder frequencyPenalty(double penalty) {
            if (!(penalty >= -2 && penalty <= 2)) {
                throw invalid("frequency_penalty must be between -2 and 2, was " + penalty);
            }
            this.frequencyPenalty = penalty;
            return this;
        }

        /**
         * Biases added to the logits of token ids (OpenAI semantics: -100 bans a token, 100 all but forces it).
         * Each bias must be in [-100, 100] and each id non-negative; ids beyond the model's vocabulary are rejected
         * when the request runs.
         */
        public Builder logitBias(Map<Integer, Double> bias) {
            for (Map.Entry<Integer, Double> e : bias.entrySet()) {
                if (e.getKey() == null || e.getKey() < 0) {
                    throw invalid("logit_bias token ids must be non-negative, was " + e.getKey());
                }
                Double v = e.getValue();
                if (v == null || !(v >= -100 && v <= 100)) {
                    throw invalid("logit_bias values must be between -100 and 100, was " + v + " for token " + e.getKey());
                }
            }
            this.logitBias = Map.copyOf(bias);
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public SamplingParams build() {
            return new SamplingParams(this);
        }

        private static AssistantException invalid(String message) {
            return new AssistantException(ErrorCode.INVALID_REQUEST, message);
        }
    }
}
