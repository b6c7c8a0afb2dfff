package dev.assistant.security.key;

import dev.assistant.api.security.Environment;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.security.lifecycle.LifecycleVerdict;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Resolves configured keys and reports what works, for {@code assistant keys check}. Every credential is wiped as
 * soon as it has been judged; results carry only names, codes and times.
 */
public final class KeysCheck {
    private final KeyLifecycle lifecycle;
    private final Environment environment;

    /**
     * @param lifecycle   the rules keys are judged by (maximum age, skew, clock)
     * @param environment the environment this process runs in
     */
    public KeysCheck(KeyLifecycle lifecycle, Environment environment) {
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    /** Resolves each of {@code references} with {@code provider}; never throws for a key that fails. */
    public List<KeyCheckResult> check(KeyProvider provider, Collection<KeyReference> references) {
        List<KeyCheckResult> results = new ArrayList<>(references.size());
        for (KeyReference reference : references) {
            results.add(checkOne(provider, reference));
        }
        return results;
    }

    private KeyCheckResult checkOne(KeyProvider provider, KeyReference reference) {
        long start = System.nanoTime();
        try (Credential credential = provider.resolve(reference)) {
            long micros = (System.nanoTime() - start) / 1_000;
            LifecycleVerdict verdict = lifecycle.evaluate(environment, credential.environment(),
                    credential.issuedAt(), credential.expiresAt().orElse(null), null);
            return KeyCheckResult.of(provider.name(), reference, credential, verdict, micros);
        } catch (KeyProviderException e) {
            long micros = (System.nanoTime() - start) / 1_000;
            return new KeyCheckResult(provider.name(), reference, false, e.failure().code(), e.getMessage(), null,
                    null, null, micros);
        } catch (RuntimeException e) {
            // A provider bug must not abort the whole report; its message is not trusted, so only the type is shown.
            long micros = (System.nanoTime() - start) / 1_000;
            return new KeyCheckResult(provider.name(), reference, false, "error",
                    "provider failed with " + e.getClass().getName(), null, null, null, micros);
        }
    }
}
