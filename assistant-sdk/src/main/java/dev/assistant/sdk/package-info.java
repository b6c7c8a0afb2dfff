/**
 * The one-dependency quick start: this artifact holds no code of its own and brings {@code assistant-core}, both
 * engines ({@code assistant-engine-native} for Llama-family models on the CPU without libtorch, and
 * {@code assistant-engine-pytorch}) and libtorch's CPU natives for the platform the host's build runs on. A host
 * that wants a smaller class path depends on {@code assistant-core} and the engine it uses instead.
 */
package dev.assistant.sdk;
