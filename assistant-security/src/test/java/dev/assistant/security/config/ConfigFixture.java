package dev.assistant.security.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.Secret;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeys;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A complete, valid configuration (env key provider) and the secrets that go with it. */
public final class ConfigFixture {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String PEPPER = "pepper-of-at-least-16-bytes-0123456789";
    public static final String KEY_SEARCH = "ak_search-key-0000000000000000000000000000000000";
    public static final String KEY_ADMIN = "ak_admin-key-00000000000000000000000000000000000";
    public static final String KEY_DEV = "ak_dev-key-0000000000000000000000000000000000000";
    /** The process environment the env provider reads the pepper from. */
    public static final Map<String, String> ENV = Map.of(
            "ASSISTANT_KEY_PROD_API_PEPPER", PEPPER,
            "ASSISTANT_KEY_PROD_API_PEPPER_ISSUED_AT", "2025-01-01T00:00:00Z");

    private ConfigFixture() {
    }

    public static String hashHex(String key) {
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt(PEPPER.getBytes(StandardCharsets.UTF_8)));
        return ApiKeys.toHex(hasher.hash(key.toCharArray()));
    }

    /** The valid document; tests edit a copy to make each kind of error. */
    public static ObjectNode valid() {
        try {
            return (ObjectNode) JSON.readTree("""
                    {
                      "version": 1,
                      "environment": "prod",
                      "keyProvider": {"provider": "env", "env.prefix": "ASSISTANT_KEY"},
                      "pepper": {"keyId": "api-pepper"},
                      "lifecycle": {"maxAge": "P90D", "warnBefore": "P14D", "clockSkew": "PT60S"},
                      "keys": [
                        {"keyId": "search-1", "principal": "search-service", "hash": "%s", "environment": "prod",
                         "issuedAt": "2025-03-01T00:00:00Z", "groups": ["search"]},
                        {"keyId": "admin-1", "principal": "ops", "hash": "%s", "environment": "prod",
                         "issuedAt": "2025-03-01T00:00:00Z", "expiresAt": "2025-06-01T00:00:00Z",
                         "retiredAt": null, "groups": [], "policies": ["everything"]},
                        {"keyId": "dev-1", "principal": "laptop", "hash": "%s", "environment": "dev",
                         "issuedAt": "2025-03-01T00:00:00Z"}
                      ],
                      "policies": {
                        "chat-public": {"version": "2.0", "statement": [
                          {"effect": "allow", "action": ["assistant:Chat"], "resource": ["model/*"]},
                          {"sid": "no-internal", "effect": "deny", "action": "assistant:*",
                           "resource": "model/internal-*"}]},
                        "everything": {"version": "2.0", "statement":
                          {"effect": "allow", "action": "assistant:*", "resource": "*"}}
                      },
                      "groups": {"search": ["chat-public"]},
                      "rateLimits": {
                        "backend": "local",
                        "failureMode": "fail_closed",
                        "failClosedRetryAfter": "PT1S",
                        "default": {"requestsPerSecond": 2, "burst": 3, "tokensPerMinute": 1000},
                        "keys": {"admin-1": {"requestsPerSecond": 100}},
                        "perModel": {"requestsPerSecond": 50, "burst": 50}
                      }
                    }
                    """.formatted(hashHex(KEY_SEARCH), hashHex(KEY_ADMIN), hashHex(KEY_DEV)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static ArrayNode keys(ObjectNode config) {
        return (ArrayNode) config.get("keys");
    }
}
