package dev.assistant.cli;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.security.config.SecurityConfig;
import dev.assistant.security.key.KeyReference;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code assistant keys hash}: reads an API key from stdin (no echo on a terminal; never an argument) and prints
 * its keyed hash (HMAC-SHA256 under the configured pepper, hex) for the {@code hash} field of a key record.
 */
@Command(name = "hash", mixinStandardHelpOptions = true,
        description = "Read an API key from stdin and print the keyed hash for its key record.")
final class KeysHashCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ProviderOptions provider;

    @Option(names = "--pepper-key", paramLabel = "KEY_ID",
            description = "key id of the pepper (default: the configuration's pepper.keyId)")
    String pepperKey;

    @Override
    public Integer call() {
        ApiKeyHasher hasher = hasher(spec, provider, pepperKey);
        char[] key = readSecret("API key: ");
        try {
            spec.commandLine().getOut().println(ApiKeys.toHex(hasher.hash(key)));
            spec.commandLine().getOut().flush();
        } finally {
            Arrays.fill(key, '\0');
        }
        return 0;
    }

    /** The hasher of the configured (or given) pepper. */
    static ApiKeyHasher hasher(CommandSpec spec, ProviderOptions provider, String pepperKey) {
        Optional<SecurityConfig> config = provider.load(spec);
        Environment environment = provider.environment(config, spec);
        KeyReference pepper;
        if (pepperKey != null) {
            try {
                pepper = KeyReference.of(pepperKey, environment);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--pepper-key: " + e.getMessage());
            }
        } else {
            pepper = config.flatMap(SecurityConfig::pepper).orElseThrow(() -> new ParameterException(
                    spec.commandLine(), "no pepper: set pepper.keyId in the configuration or pass --pepper-key"));
        }
        try {
            return PepperHasher.create(provider.providerSettings(config), pepper, Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "pepper " + pepper
                    + " is unusable: it must be at least 16 bytes");
        }
    }

    /** Reads a secret from stdin; a problem with the input is an {@code INVALID_REQUEST} that never quotes it. */
    static char[] readSecret(String prompt) {
        try {
            return SecretInput.read(prompt);
        } catch (IllegalArgumentException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
    }
}
