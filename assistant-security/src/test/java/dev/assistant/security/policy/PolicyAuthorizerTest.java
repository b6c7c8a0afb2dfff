package dev.assistant.security.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Environment;
import dev.assistant.api.security.Principal;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.KeyPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class PolicyAuthorizerTest {
    /** The deployment guide's policy: chat with any model except the internal ones. */
    public static final String GUIDE = "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"assistant:Chat\"],"
            + "\"resource\":[\"model/*\"]},{\"effect\":\"deny\",\"action\":[\"assistant:*\"],\"resource\":[\"model/internal-*\"]}]}";

    private final PolicyAuthorizer authorizer = new PolicyAuthorizer(SecurityEvents.NONE);

    @Test
    void anEmbeddedAppWithoutKeysIsGovernedByTheAnonymousPolicies() {
        KeyPrincipal anonymous = KeyPrincipal.anonymous(Environment.DEV, List.of(PolicyParser.standard().parse("guide", GUIDE)));
        assertThat(authorizer.authorize(anonymous, Action.CHAT, "model/qwen").allowed()).isTrue();
        assertThat(reason(() -> authorizer.authorize(anonymous, Action.EMBED, "model/qwen")))
                .isEqualTo(PolicyAuthorizer.NO_MATCHING_ALLOW);
        assertThat(reason(() -> authorizer.authorize(anonymous, Action.CHAT, "model/internal-1")))
                .isEqualTo(PolicyAuthorizer.EXPLICIT_DENY);
    }

    @Test
    void aPrincipalFromAnotherAuthenticatorHasNoPoliciesAndIsDenied() {
        Principal hostPrincipal = Principal.of("k9", "svc", Environment.PROD, Set.of("admins"), Duration.ofDays(3));
        assertThatThrownBy(() -> authorizer.authorize(hostPrincipal, Action.CHAT, "model/qwen"))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
                    assertThat(e.reason()).isEqualTo(PolicyAuthorizer.NO_MATCHING_ALLOW);
                    assertThat(e.getMessage()).contains("k9", "assistant:Chat", "model/qwen");
                });
    }

    @Test
    void aThrowingEventListenerNeverFailsACall() {
        SecurityEvents broken = new SecurityEvents() {
            @Override
            public void permissionDenied(String keyId, String action, String resource) {
                throw new IllegalStateException("listener bug");
            }
        };
        PolicyAuthorizer guarded = new PolicyAuthorizer(broken);
        assertThatThrownBy(() -> guarded.authorize(KeyPrincipal.anonymous(Environment.DEV, List.of()), Action.CHAT, "model/m"))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED));
    }

    private static String reason(Runnable call) {
        try {
            call.run();
        } catch (AssistantException e) {
            return e.reason();
        }
        throw new AssertionError("expected a denial");
    }
}
