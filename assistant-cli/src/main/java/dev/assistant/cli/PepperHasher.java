package dev.assistant.cli;

import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.KeyReference;
import java.time.Clock;
import java.util.Map;

/** Makes the API key hasher from the pepper the key provider resolves; the pepper itself is wiped at once. */
final class PepperHasher {
    private PepperHasher() {
    }

    static ApiKeyHasher create(Map<String, String> settings, KeyReference pepper, Clock clock) {
        try (KeyProvider provider = KeyProviders.create(settings, System::getenv, clock, SecurityEvents.NONE);
             Credential credential = provider.resolve(pepper)) {
            return new ApiKeyHasher(credential.secret());
        }
    }
}
