package dev.assistant.security.key;

import dev.assistant.security.lifecycle.LifecycleVerdict;
import java.time.Duration;
import java.time.Instant;

/**
 * One line of a keys check: which provider, which key, and whether it resolved. Never contains secret material.
 *
 * @param provider    provider name
 * @param reference   the key checked
 * @param ok          resolved and accepted by the lifecycle rules
 * @param code        {@code ok}, {@code nearing_rotation}, a provider failure code ({@code key_not_found},
 *                    {@code decrypt_failed}, {@code unavailable}...) or a lifecycle reason ({@code key_expired}...)
 * @param detail      a human-readable explanation (no secrets)
 * @param issuedAt    issue time, when resolved
 * @param expiresAt   expiry, when resolved and set
 * @param rotationDue time left before the key must be rotated, when known
 * @param micros      how long the resolve took
 */
public record KeyCheckResult(String provider, KeyReference reference, boolean ok, String code, String detail,
                             Instant issuedAt, Instant expiresAt, Duration rotationDue, long micros) {
    public static final String OK = "ok";
    public static final String NEARING_ROTATION = "nearing_rotation";

    static KeyCheckResult of(String provider, KeyReference reference, Credential credential, LifecycleVerdict verdict,
                             long micros) {
        String code = switch (verdict.status()) {
            case VALID -> OK;
            case NEARING_ROTATION -> NEARING_ROTATION;
            case REJECTED -> verdict.reason();
        };
        String detail = verdict.accepted()
                ? "resolved" + verdict.rotationDueIn().map(d -> "; rotate within " + d.toDays() + " days").orElse("")
                : "resolved but rejected: " + verdict.reason();
        return new KeyCheckResult(provider, reference, verdict.accepted(), code, detail, credential.issuedAt(),
                credential.expiresAt().orElse(null), verdict.rotationDue(), micros);
    }

    /** A one-line summary for a terminal, e.g. {@code env  svc-a@prod  ok  resolved; rotate within 80 days}. */
    public String summary() {
        return provider + "\t" + reference + "\t" + code + "\t" + detail;
    }
}
