package dev.assistant.core.model;

import java.util.List;

/**
 * What Gemma 2's and Gemma 3's attention and head add to the Llama layout, from config.json.
 *
 * @param queryPreAttnScalar scores are multiplied by {@code queryPreAttnScalar^-0.5} (not always head_dim)
 * @param slidingWindow      the sliding layers attend to at most this many latest positions
 * @param attentionSoftcap   {@code attn_logit_softcapping}: scores become {@code cap * tanh(s / cap)}; 0 for none
 * @param finalSoftcap       {@code final_logit_softcapping}: the same on the logits; 0 for none
 * @param slidingLayers      per layer, whether it attends through the window (Gemma 2: the even ones; Gemma 3: all
 *                           but every 6th)
 * @param localRopeTheta     Gemma 3's RoPE base of the sliding layers, which also skip {@code rope_scaling}; 0 when
 *                           every layer rotates alike (Gemma 2)
 */
public record Gemma2Settings(double queryPreAttnScalar, int slidingWindow, double attentionSoftcap,
                             double finalSoftcap, List<Boolean> slidingLayers, double localRopeTheta) {

    public Gemma2Settings {
        slidingLayers = List.copyOf(slidingLayers);
    }

    /** Whether layer {@code layer} attends through the sliding window. */
    public boolean slides(int layer) {
        return slidingLayers.get(layer);
    }
}
