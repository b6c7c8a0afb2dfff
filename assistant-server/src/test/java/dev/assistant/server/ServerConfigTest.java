package dev.assistant.server;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerConfigTest {

    @Test
    void defaultsAreLoopbackPort8000() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8000);
        assertThat(c.bindsAllInterfaces()).isFalse();
        assertThat(ServerConfig.builder().host("0.0.0.0").build().bindsAllInterfaces()).isTrue();
        assertThat(ServerConfig.builder().host("::").build().bindsAllInterfaces()).isTrue();
    }

    @Test
    void badValuesFailAtBuild() {
        assertInvalid(ServerConfig.builder().port(70000));
        assertInvalid(ServerConfig.builder().host(" "));
        assertInvalid(ServerConfig.builder().maxRequestBytes(10));
        assertInvalid(ServerConfig.builder().idleTimeout(Duration.ZERO));
        assertInvalid(ServerConfig.builder().requestTimeout(Duration.ofSeconds(-1)));
        assertInvalid(ServerConfig.builder().shutdownGrace(Duration.ofSeconds(-1)));
        assertInvalid(ServerConfig.builder().maxThreads(2));
        assertInvalid(ServerConfig.builder().bodyTimeout(Duration.ZERO));
        assertInvalid(ServerConfig.builder().minRequestBytesPerSecond(-1));
        assertInvalid(ServerConfig.builder().allowedHost(" "));
        assertInvalid(ServerConfig.builder().allowedHost("example.com:8000"));
        assertInvalid(ServerConfig.builder().allowedHost("exa mple.com"));
    }

    @Test
    void allowedHostsAreComparedLowerCaseWithoutBrackets() {
        ServerConfig c = ServerConfig.builder().allowedHost("Assistant.Internal").allowedHost("[fd00::1]").build();
        assertThat(c.allowedHosts()).containsExactlyInAnyOrder("assistant.internal", "fd00::1");
        assertThat(ServerConfig.defaults().bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(ServerConfig.defaults().minRequestBytesPerSecond()).isEqualTo(1024);
    }

    @Test
    void bindingAnAddressInUseIsEngineUnavailable() {
        try (OpenAiServer first = OpenAiServer.builder().config(ServerConfig.builder().port(0).build()).build().start()) {
            OpenAiServer second = OpenAiServer.builder().config(ServerConfig.builder().port(first.port()).build()).build();
            assertThatThrownBy(second::start).isInstanceOfSatisfying(AssistantException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE));
        }
    }

    private static void assertInvalid(ServerConfig.Builder b) {
        assertThatThrownBy(b::build).isInstanceOfSatisfying(AssistantException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }
}
