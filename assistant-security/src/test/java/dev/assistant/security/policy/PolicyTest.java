package dev.assistant.security.policy;

import dev.assistant.api.security.Decision;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Authorizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.api.security.Principal;
import dev.assistant.security.auth.KeyPrincipal;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyTest {
    /** The example of the deployment guide. */
    static final String GUIDE = """
            {"version":"2.0","statement":[{"effect":"allow","action":["assistant:Chat"],"resource":["model/*"]},
            {"effect":"deny","action":["assistant:*"],"resource":["model/internal-*"]}]}""";
    static final String EMBED_ONLY = """
            {"version":"2.0","statement":{"sid":"embed-small","effect":"allow","action":"assistant:Embed",
             "resource":["model/bge-*","model/e5-small"]}}""";
    static final String NO_QUANTIZE = """
            {"version":"2.0","statement":[{"sid":"no-quant","effect":"deny","action":"assistant:Quantize","resource":"*"}]}""";
    static final String ALL = """
            {"version":"2.0","statement":[{"effect":"allow","action":"*","resource":"*"}]}""";

    private final PolicyParser parser = PolicyParser.standard();

    @ParameterizedTest(name = "{0} {1} on {2} -> {3} ({4})")
    @CsvSource(nullValues = "-", value = {
            // policies,            action,              resource,                allowed, deciding policy/statement
            "guide,                 assistant:Chat,      model/qwen2-0.5b,        true,  guide/0",
            "guide,                 assistant:chat,      model/qwen2-0.5b,        true,  guide/0",
            "guide,                 assistant:Chat,      model/internal-llama,    false, guide/1",
            "guide,                 assistant:Generate,  model/qwen2-0.5b,        false, -",
            "guide,                 assistant:Embed,     model/internal-x,        false, guide/1",
            "guide,                 assistant:Chat,      adapter/x,               false, -",
            "embed,                 assistant:Embed,     model/bge-small-en,      true,  embed/0",
            "embed,                 assistant:Embed,     model/e5-small,          true,  embed/0",
            "embed,                 assistant:Embed,     model/e5-small-v2,       false, -",
            "embed,                 assistant:Chat,      model/bge-small-en,      false, -",
            "guide+embed,           assistant:Embed,     model/bge-base,          true,  embed/0",
            "guide+embed,           assistant:Embed,     model/internal-bge,      false, guide/1",
            "all+noquant,           assistant:Quantize,  model/qwen2-0.5b,        false, noquant/0",
            "all+noquant,           assistant:Generate,  model/anything/at/all,   true,  all/0",
            "noquant,               assistant:Chat,      model/qwen2-0.5b,        false, -",
            "none,                  assistant:Chat,      model/qwen2-0.5b,        false, -",
    })
    void evaluationTable(String set, String action, String resource, boolean allowed, String decidedBy) {
        List<Policy> policies = switch (set) {
            case "guide" -> List.of(parser.parse("guide", GUIDE));
            case "embed" -> List.of(parser.parse("embed", EMBED_ONLY));
            case "guide+embed" -> List.of(parser.parse("guide", GUIDE), parser.parse("embed", EMBED_ONLY));
            case "all+noquant" -> List.of(parser.parse("all", ALL), parser.parse("noquant", NO_QUANTIZE));
            case "noquant" -> List.of(parser.parse("noquant", NO_QUANTIZE));
            default -> List.of();
        };
        Decision decision = PolicyEvaluator.evaluate(policies, Action.of(action), resource);
        assertThat(decision.allowed()).isEqualTo(allowed);
        assertThat(decision.policy() == null ? null : decision.policy() + "/" + decision.statementIndex())
                .isEqualTo(decidedBy);
    }

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource({
            "model/*,            model/a,            true",
            "model/*,            model/,             true",
            "model/*,            models/a,           false",
            "*,                  anything,           true",
            "model/a*b*c,        model/abc,          true",
            "model/a*b*c,        model/a-b-c,        true",
            "model/a*b*c,        model/a-b-c-d,      false",
            "model/*-int8,       model/qwen-int8,    true",
            "model/*-int8,       model/qwen-int8x,   false",
            "model/x,            model/x,            true",
            "model/x,            model/xy,           false",
            "model/*a*a,         model/aa,           true",
            "model/*a*a,         model/a,            false",
            "model/**,           model/z,            true",
    })
    void globs(String pattern, String text, boolean matches) {
        assertThat(Glob.of(pattern, false).matches(text)).isEqualTo(matches);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "$                          | {not json",
            "$                          | []",
            "version                    | {\"statement\":[]}",
            "version                    | {\"version\":\"1.0\",\"statement\":[]}",
            "statement                  | {\"version\":\"2.0\"}",
            "statement                  | {\"version\":\"2.0\",\"statement\":[]}",
            "statement[0].effect        | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"permit\",\"action\":\"*\",\"resource\":\"*\"}]}",
            "statement[0].action        | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"resource\":\"*\"}]}",
            "statement[0].action[1]     | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"assistant:Chat\",\"assistant:Chta\"],\"resource\":\"*\"}]}",
            "statement[0].action[0]     | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"chat\"],\"resource\":\"*\"}]}",
            "statement[1].resource[0]   | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\"},{\"effect\":\"deny\",\"action\":\"*\",\"resource\":[\"bucket/x\"]}]}",
            "statement[0].resource      | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":[]}]}",
            "statement[0].condition     | {\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"*\",\"resource\":\"*\",\"condition\":{}}]}",
            "principal                  | {\"version\":\"2.0\",\"principal\":\"*\",\"statement\":[]}",
    })
    void malformedPoliciesAreRejectedNamingTheField(String field, String json) {
        assertThatThrownBy(() -> parser.parse("p", json))
                .isInstanceOf(InvalidPolicyException.class)
                .satisfies(e -> {
                    InvalidPolicyException ipe = (InvalidPolicyException) e;
                    assertThat(ipe.field()).isEqualTo(field);
                    assertThat(ipe.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(ipe.reason()).isEqualTo("malformed_policy");
                    assertThat(ipe.getMessage()).contains("policy 'p'").contains(field);
                });
    }

    @Test
    void denialIsPermissionDeniedNamingActionResourceAndStatement() {
        PolicyRegistry registry = PolicyRegistry.builder().policy("guide", GUIDE).attachToGroup("staff", "guide").build();
        Principal caller = new KeyPrincipal("k1", "svc", Environment.PROD, Set.of("staff"),
                registry.resolve(List.of(), Set.of("staff")), null);
        List<String> denied = new java.util.ArrayList<>();
        Authorizer authorizer = new PolicyAuthorizer(new SecurityEvents() {
            @Override
            public void permissionDenied(String keyId, String action, String resource) {
                denied.add(keyId + " " + action + " " + resource);
            }
        });
        assertThat(authorizer.authorize(caller, Action.CHAT, Authorizer.modelResource("qwen")).allowed()).isTrue();
        assertThatThrownBy(() -> authorizer.authorize(caller, Action.CHAT, "model/internal-x"))
                .isInstanceOf(AssistantException.class)
                .hasFieldOrPropertyWithValue("code", ErrorCode.PERMISSION_DENIED)
                .hasFieldOrPropertyWithValue("reason", PolicyAuthorizer.EXPLICIT_DENY)
                .hasMessageContaining("assistant:Chat").hasMessageContaining("model/internal-x")
                .hasMessageContaining("policy guide statement[1]");
        assertThatThrownBy(() -> authorizer.authorize(caller, Action.QUANTIZE, "model/qwen"))
                .hasFieldOrPropertyWithValue("reason", PolicyAuthorizer.NO_MATCHING_ALLOW)
                .hasMessageContaining("no statement allows assistant:Quantize on model/qwen");
        assertThat(denied).containsExactly("k1 assistant:Chat model/internal-x", "k1 assistant:Quantize model/qwen");
    }

    @Test
    void registryRejectsUnknownAttachmentsWhenBuilt() {
        assertThatThrownBy(() -> PolicyRegistry.builder().attachToGroup("g", "missing").build())
                .hasMessageContaining("unknown policy 'missing'");
        PolicyRegistry registry = PolicyRegistry.builder().policy("guide", GUIDE).build();
        assertThatThrownBy(() -> registry.resolve(List.of("nope"), Set.of())).hasMessageContaining("nope");
        assertThatThrownBy(() -> PolicyRegistry.builder().policy("a", GUIDE).policy("a", GUIDE))
                .hasMessageContaining("twice");
    }
}
