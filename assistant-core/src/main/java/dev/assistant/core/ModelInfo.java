package dev.assistant.core;

/**
 * What the assistant has loaded.
 *
 * @param name          the model name policies and metrics use
 * @param architecture  the HuggingFace architecture, e.g. {@code LlamaForCausalLM}
 * @param contextLength the most tokens a sequence may hold
 * @param vocabSize     the vocabulary size
 * @param computeType   {@code f32} or {@code int8}
 * @param device        where it runs, e.g. {@code cpu()}
 * @param engine        the engine that loaded it ({@code native}, {@code pytorch} or a host's own provider's name)
 * @param weightBytes   weight memory held
 * @param loadNanos     time taken to load
 */
public record ModelInfo(String name, String architecture, int contextLength, int vocabSize, String computeType,
                        String device, String engine, long weightBytes, long loadNanos) {
}
