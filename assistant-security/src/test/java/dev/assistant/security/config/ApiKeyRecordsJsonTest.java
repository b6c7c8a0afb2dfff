package dev.assistant.security.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.ApiKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyRecordsJsonTest {
    private static ApiKeyRecord record(String id, String key) {
        return ApiKeyRecord.builder().keyId(id).principal("svc-" + id)
                .hash(ApiKeys.fromHex(ConfigFixture.hashHex(key))).environment(Environment.TEST)
                .issuedAt(Instant.parse("2025-02-01T00:00:00Z")).groups(Set.of("b", "a"))
                .policies(List.of("p2", "p1")).build();
    }

    @Test
    void recordsRoundTripThroughJsonWithoutLosingAnything(@TempDir Path dir) throws Exception {
        ApiKeyRecord plain = record("k1", ConfigFixture.KEY_SEARCH);
        ApiKeyRecord temporary = record("k2", ConfigFixture.KEY_ADMIN).toBuilder()
                .expiresAt(Instant.parse("2025-03-01T00:00:00Z")).retiredAt(Instant.parse("2025-02-15T00:00:00Z"))
                .build();
        String json = ApiKeyRecordsJson.toJson(List.of(temporary, plain));
        assertThat(json).doesNotContain(ConfigFixture.KEY_SEARCH).contains(ConfigFixture.hashHex(ConfigFixture.KEY_SEARCH));
        Path file = dir.resolve("keys.json");
        Files.writeString(file, json);
        List<ApiKeyRecord> back = ApiKeyRecordsJson.read(file);
        assertThat(back).extracting(ApiKeyRecord::keyId).containsExactly("k1", "k2");
        for (int i = 0; i < 2; i++) {
            ApiKeyRecord expected = i == 0 ? plain : temporary;
            ApiKeyRecord actual = back.get(i);
            assertThat(actual.hash()).isEqualTo(expected.hash());
            assertThat(actual.principal()).isEqualTo(expected.principal());
            assertThat(actual.environment()).isEqualTo(expected.environment());
            assertThat(actual.issuedAt()).isEqualTo(expected.issuedAt());
            assertThat(actual.expiresAt()).isEqualTo(expected.expiresAt());
            assertThat(actual.retiredAt()).isEqualTo(expected.retiredAt());
            assertThat(actual.groups()).isEqualTo(expected.groups());
            assertThat(actual.policies()).isEqualTo(expected.policies());
        }
    }

    @Test
    void theDocumentIsStrict() {
        assertThatThrownBy(() -> ApiKeyRecordsJson.parse("{\"keys\":[],\"extra\":1}"))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> assertThat(e.path()).isEqualTo("extra"));
        assertThatThrownBy(() -> ApiKeyRecordsJson.parse("[]"))
                .isInstanceOfSatisfying(SecurityConfigException.class, e -> assertThat(e.path()).isEqualTo("$"));
        String dup = "{\"keys\":[{\"keyId\":\"a\",\"principal\":\"p\",\"hash\":\"" + ConfigFixture.hashHex("x")
                + "\",\"environment\":\"dev\",\"issuedAt\":\"2025-01-01T00:00:00Z\",\"groups\":[\"g\",\"g\"]}]}";
        assertThatThrownBy(() -> ApiKeyRecordsJson.parse(dup))
                .isInstanceOfSatisfying(SecurityConfigException.class,
                        e -> assertThat(e.path()).isEqualTo("keys[0].groups[1]"));
        assertThat(ApiKeyRecordsJson.parse("{\"keys\":[]}")).isEmpty();
    }
}
