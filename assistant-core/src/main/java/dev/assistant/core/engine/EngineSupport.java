package dev.assistant.core.engine;

import java.util.Objects;

/**
 * An engine's answer to "can you run this model here?": yes with a rank (higher wins when several can) and why,
 * or no and why not.
 *
 * @param supported whether the engine can run the model
 * @param rank      preference among supporting engines (see the constants); 0 when not supported
 * @param reason    why, in words a host's operator can act on
 */
public record EngineSupport(boolean supported, int rank, String reason) {
    /** The engine made for this case (e.g. native layers for a Llama model on the CPU). */
    public static final int PREFERRED = 100;
    /** The engine is the only way to reach the device asked for (e.g. CUDA). */
    public static final int DEVICE = 200;
    /** The engine runs the model, but another is usually faster for it. */
    public static final int FALLBACK = 10;

    public EngineSupport {
        Objects.requireNonNull(reason, "reason");
        if (!supported && rank != 0) {
            throw new IllegalArgumentException("an unsupported verdict has rank 0");
        }
    }

    public static EngineSupport yes(int rank, String reason) {
        if (rank <= 0) {
            throw new IllegalArgumentException("rank must be positive, was " + rank);
        }
        return new EngineSupport(true, rank, reason);
    }

    public static EngineSupport no(String reason) {
        return new EngineSupport(false, 0, reason);
    }
}
