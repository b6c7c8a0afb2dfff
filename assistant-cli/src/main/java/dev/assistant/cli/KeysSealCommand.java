package dev.assistant.cli;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.config.SecurityConfig;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.SealedSecretSource;
import dev.assistant.security.key.hsm.Pkcs11Hsm;
import dev.assistant.security.key.hsm.Pkcs11KeyProvider;
import dev.assistant.security.key.hsm.Pkcs11KeyProviderFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code assistant keys seal}: encrypts a secret read from stdin for the PKCS#11 key provider and writes the
 * envelope where the provider reads it ({@code <sealed.dir>/<env>/<keyId>.json}). AES-256-GCM inside the HSM under
 * the non-extractable key {@code pkcs11.keyLabel}; key id, environment, issue time and expiry are bound as
 * associated data ({@link Pkcs11KeyProvider#seal}). The envelope is decrypted once more before the command reports
 * success, so a wrong token or key shows up here rather than at the next start of the service.
 */
@Command(name = "seal", mixinStandardHelpOptions = true,
        description = "Encrypt a secret from stdin for the PKCS#11 provider and write it to the sealed directory.")
final class KeysSealCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ProviderOptions provider;

    @Option(names = "--key-id", required = true, paramLabel = "KEY_ID", description = "id of the secret")
    String keyId;

    @Option(names = "--issued-at", paramLabel = "INSTANT",
            description = "issue time (ISO-8601; default now): rotation age is measured from it")
    Instant issuedAt;

    @Option(names = "--expires-at", paramLabel = "INSTANT", description = "expiry (ISO-8601) of a temporary secret")
    Instant expiresAt;

    @Override
    public Integer call() {
        Optional<SecurityConfig> config = provider.load(spec);
        Environment environment = provider.environment(config, spec);
        Map<String, String> settings = provider.providerSettings(config);
        String name = settings.getOrDefault("provider", "env");
        if (!"pkcs11".equals(name)) {
            throw new ParameterException(spec.commandLine(),
                    "keys seal writes PKCS#11 envelopes; the configured key provider is '" + name + "'");
        }
        String dir = settings.get("sealed.dir");
        if (dir == null || dir.isBlank()) {
            throw new ParameterException(spec.commandLine(), "the sealed.dir setting is required");
        }
        KeyReference reference;
        try {
            reference = KeyReference.of(keyId, environment);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--key-id: " + e.getMessage());
        }
        Instant issued = issuedAt != null ? issuedAt : Instant.now().truncatedTo(ChronoUnit.SECONDS);
        if (expiresAt != null && expiresAt.isBefore(issued)) {
            throw new ParameterException(spec.commandLine(), "--expires-at is before the issue time");
        }
        Path sealedDir = Path.of(dir);
        // Open the HSM before asking for the secret: a wrong PIN or slot fails before anything is typed.
        try (Pkcs11KeyProvider hsm = new Pkcs11KeyProvider(
                Pkcs11Hsm.open(Pkcs11KeyProviderFactory.config(settings, System::getenv)),
                SealedSecretSource.directory(sealedDir), new SecureRandom())) {
            char[] chars = KeysHashCommand.readSecret("Secret to seal: ");
            try (Secret secret = Secret.ofChars(chars)) {
                Arrays.fill(chars, '\0');
                SealedSecret sealed = hsm.seal(reference, issued, expiresAt, secret);
                Path file = SealedSecretSource.write(sealedDir, sealed);
                verify(hsm, reference, secret);
                spec.commandLine().getOut().printf("sealed %s into %s (scheme %s, kek %s, issued %s%s)%n", reference,
                        file, sealed.scheme(), sealed.kek(), issued,
                        expiresAt == null ? "" : ", expires " + expiresAt);
                spec.commandLine().getOut().flush();
            } finally {
                Arrays.fill(chars, '\0');
            }
        }
        return 0;
    }

    private static void verify(Pkcs11KeyProvider hsm, KeyReference reference, Secret secret) {
        byte[] expected = secret.bytes();
        try (Credential back = hsm.resolve(reference)) {
            if (!back.secret().matches(expected)) {
                throw new AssistantException(ErrorCode.INTERNAL, "the envelope written for " + reference
                        + " does not decrypt to the secret that was sealed");
            }
        } finally {
            Arrays.fill(expected, (byte) 0);
        }
    }
}
