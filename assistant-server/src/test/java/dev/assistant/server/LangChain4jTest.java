package dev.assistant.server;

import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** LangChain4j's OpenAI module ({@code OpenAiChatModel}, {@code OpenAiStreamingChatModel}) against the server. */
class LangChain4jTest {
    private static final String PROMPT = "Once upon a time";
    private static SecuredServer fixture;

    @BeforeAll
    static void start() {
        fixture = new SecuredServer();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static OpenAiChatModel.OpenAiChatModelBuilder model(String key, String modelName) {
        return OpenAiChatModel.builder().baseUrl(fixture.baseUrl()).apiKey(key).modelName(modelName)
                .temperature(0.0).maxTokens(12).maxRetries(0).timeout(Duration.ofSeconds(60));
    }

    @Test
    void chatReturnsTextUsageAndFinishReason() {
        ChatResponse r = model(SecuredServer.ALICE_KEY, SecuredServer.MODEL).build()
                .chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                        .messages(dev.langchain4j.data.message.UserMessage.from(PROMPT)).build());
        assertThat(r.aiMessage().text()).isNotBlank();
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(1, 12);
        assertThat(r.tokenUsage().inputTokenCount()).isPositive();
        assertThat(r.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
        assertThat(r.metadata().modelName()).isEqualTo(SecuredServer.MODEL);
    }

    @Test
    void streamingMatchesTheWholeAnswer() throws Exception {
        String whole = model(SecuredServer.ALICE_KEY, SecuredServer.MODEL).build().chat(PROMPT);
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(fixture.baseUrl())
                .apiKey(SecuredServer.ALICE_KEY).modelName(SecuredServer.MODEL).temperature(0.0).maxTokens(12)
                .timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo(whole);
        assertThat(response.aiMessage().text()).isEqualTo(whole);
    }

    @Test
    void stopSequenceCutsTheAnswer() {
        String full = model(SecuredServer.ALICE_KEY, SecuredServer.MODEL).build().chat(PROMPT);
        String stop = OpenAiJavaSdkTest.stopWithin(full);
        String cut = model(SecuredServer.ALICE_KEY, SecuredServer.MODEL).stop(List.of(stop)).build().chat(PROMPT);
        assertThat(cut).isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void badKeyIsAnAuthenticationError() {
        Throwable t = catchThrowable(() -> model("sk-not-a-key", SecuredServer.MODEL).build().chat(PROMPT));
        assertThat(t).isInstanceOf(AuthenticationException.class);
        assertThat(t.getMessage()).doesNotContain("sk-not-a-key");
    }

    @Test
    void modelOutsideThePolicyIs403() {
        Throwable t = catchThrowable(() -> model(SecuredServer.ALICE_KEY, SecuredServer.FORBIDDEN_MODEL).build().chat(PROMPT));
        assertThat(rootHttpStatus(t)).isEqualTo(403);
    }

    @Test
    void rateLimitIsARateLimitError() {
        OpenAiChatModel limited = model(SecuredServer.LIMITED_KEY, SecuredServer.MODEL).maxTokens(2).build();
        for (int i = 0; i < SecuredServer.LIMITED_BURST; i++) {
            limited.chat(PROMPT);
        }
        Throwable t = catchThrowable(() -> limited.chat(PROMPT));
        assertThat(t).isInstanceOf(RateLimitException.class);
        assertThat(rootHttpStatus(t)).isEqualTo(429);
    }

    private static int rootHttpStatus(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HttpException h) {
                return h.statusCode();
            }
        }
        throw new AssertionError("no HTTP status in " + t, t);
    }
}
