package dev.assistant.metrics.system;

import java.time.Instant;

/**
 * Reads process and host resources. {@link JvmSystemProbe} is the real one; tests and the lead's scripted
 * end-to-end run inject their own to play a CPU or memory scenario.
 *
 * <p>Implementations report what they cannot measure as unknown ({@link SystemSample}) rather than throwing.
 */
@FunctionalInterface
public interface SystemProbe {
    /** Takes one reading, stamped {@code at}. */
    SystemSample sample(Instant at);
}
