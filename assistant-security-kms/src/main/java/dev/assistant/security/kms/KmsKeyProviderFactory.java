package dev.assistant.security.kms;

import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderFactory;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.SealedSecretSource;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Factory of {@link KmsKeyProvider} over AWS KMS ({@code provider=kms}); AWS credentials come from the SDK's
 * default chain (environment variables, profile, instance role).
 */
public final class KmsKeyProviderFactory implements KeyProviderFactory {
    @Override
    public String name() {
        return "kms";
    }

    @Override
    public boolean cachedByDefault() {
        return true;
    }

    @Override
    public KeyProvider create(Map<String, String> settings, Function<String, String> variables) {
        return new KmsKeyProvider(backend(settings),
                SealedSecretSource.directory(Path.of(KeyProviders.required(settings, "sealed.dir"))));
    }

    /** The AWS backend the settings describe (also used by the CLI). */
    public static AwsKmsBackend backend(Map<String, String> settings) {
        AwsKmsBackend.Builder builder = AwsKmsBackend.builder()
                .region(settings.getOrDefault("kms.region", "us-east-1"))
                .maxAttempts(KeyProviders.integer(settings, "kms.maxAttempts", 3));
        String endpoint = settings.get("kms.endpoint");
        if (endpoint != null && !endpoint.isBlank()) {
            try {
                builder.endpoint(new URI(endpoint.trim()));
            } catch (URISyntaxException e) {
                throw new KeyProviderException(KeyProviderException.Failure.CONFIGURATION,
                        "setting 'kms.endpoint' is not a URL: " + endpoint);
            }
        }
        if (settings.containsKey("kms.callTimeout")) {
            builder.callTimeout(KeyProviders.duration(settings, "kms.callTimeout"));
        }
        return builder.build();
    }
}
