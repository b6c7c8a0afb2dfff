package dev.assistant.core.model;

/**
 * What Gemma 2's attention and head add to the Llama layout, from config.json.
 *
 * @param queryPreAttnScalar scores are multiplied by {@code queryPreAttnScalar^-0.5} (not always head_dim)
 * @param slidingWindow      the even-numbered layers attend to at most this many latest positions
 * @param attentionSoftcap   {@code attn_logit_softcapping}: scores become {@code cap * tanh(s / cap)}; 0 for none
 * @param finalSoftcap       {@code final_logit_softcapping}: the same on the logits; 0 for none
 */
public record Gemma2Settings(double queryPreAttnScalar, int slidingWindow, double attentionSoftcap,
                             double finalSoftcap) {

    /** Whether layer {@code layer} attends through the sliding window (Gemma 2 alternates, starting with one). */
    public boolean slides(int layer) {
        return layer % 2 == 0;
    }
}
