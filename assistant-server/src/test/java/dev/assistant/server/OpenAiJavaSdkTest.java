package dev.assistant.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The official OpenAI Java SDK talks to the server on loopback as it would to api.openai.com. */
class OpenAiJavaSdkTest {
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

    private static OpenAIClient client(String key) {
        // No retries: the SDK would otherwise honour Retry-After and retry 429s and 5xx by itself.
        return OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl()).apiKey(key).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Once upon a time")
                .maxCompletionTokens(12).temperature(0.0);
    }

    @Test
    @SuppressWarnings("deprecation") // seed and user are deprecated in the SDK but still sent by many clients
    void chatCompletionHasTextUsageAndFinishReason() {
        OpenAIClient client = client(SecuredServer.ALICE_KEY);
        ChatCompletion c = client.chat().completions().create(chat(SecuredServer.MODEL).seed(7).user("u-1").n(1).build());
        assertThat(c.id()).startsWith("chatcmpl-");
        assertThat(c.model()).isEqualTo(SecuredServer.MODEL);
        assertThat(c.choices()).hasSize(1);
        String text = c.choices().get(0).message().content().orElseThrow();
        assertThat(text).isNotBlank();
        assertThat(c.choices().get(0).finishReason()).isIn(ChatCompletion.Choice.FinishReason.LENGTH,
                ChatCompletion.Choice.FinishReason.STOP);
        var usage = c.usage().orElseThrow();
        assertThat(usage.promptTokens()).isPositive();
        assertThat(usage.completionTokens()).isBetween(1L, 12L);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
        c.validate(); // every field the SDK requires is present and well-typed
    }

    @Test
    void streamingDeliversTheSameTextAsTheWholeAnswer() {
        OpenAIClient client = client(SecuredServer.ALICE_KEY);
        String whole = client.chat().completions().create(chat(SecuredServer.MODEL).build())
                .choices().get(0).message().content().orElseThrow();
        StringBuilder streamed = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        long[] completionTokens = {-1};
        ChatCompletionCreateParams params = chat(SecuredServer.MODEL)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                assertThat(chunk.model()).isEqualTo(SecuredServer.MODEL);
                chunk.choices().forEach(choice -> {
                    choice.delta().content().ifPresent(streamed::append);
                    choice.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
                });
                chunk.usage().ifPresent(u -> completionTokens[0] = u.completionTokens());
            });
        }
        assertThat(streamed.toString()).isEqualTo(whole);
        assertThat(finishReasons).hasSize(1);
        assertThat(completionTokens[0]).isPositive();
    }

    @Test
    void aChatOfThreeTurnsReusesEachEarlierTurnFromThePrefixCache() {
        OpenAIClient client = client(SecuredServer.ALICE_KEY);
        String[] questions = {"Tell me a story about a little girl called Lily who found a red ball in the park",
                "What did Lily do with the ball after that?", "And where did she go next?"};
        List<String> answers = new ArrayList<>();
        long[] cached = new long[questions.length];
        for (int turn = 0; turn < questions.length; turn++) {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model(SecuredServer.MODEL)
                    .maxCompletionTokens(24).temperature(0.0);
            for (int i = 0; i < turn; i++) {
                params.addUserMessage(questions[i]).addAssistantMessage(answers.get(i));
            }
            params.addUserMessage(questions[turn]);
            if (turn < questions.length - 1) {
                ChatCompletion c = client.chat().completions().create(params.build());
                answers.add(c.choices().get(0).message().content().orElseThrow());
                cached[turn] = c.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens().orElseThrow();
            } else { // the last turn streamed: the usage chunk carries the cached count too
                params.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
                int last = turn;
                try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                        .createStreaming(params.build())) {
                    stream.stream().forEach(chunk -> chunk.usage().ifPresent(u -> cached[last] =
                            u.promptTokensDetails().orElseThrow().cachedTokens().orElseThrow()));
                }
            }
        }
        // each turn starts from the previous turn's prompt and answer, so the cached count grows
        assertThat(cached[1]).isPositive();
        assertThat(cached[2]).isGreaterThan(cached[1]);
    }

    @Test
    void stopSequenceCutsTheAnswer() {
        OpenAIClient client = client(SecuredServer.ALICE_KEY);
        String full = client.chat().completions().create(chat(SecuredServer.MODEL).build())
                .choices().get(0).message().content().orElseThrow();
        String stop = stopWithin(full);
        ChatCompletion c = client.chat().completions().create(chat(SecuredServer.MODEL).stop(stop).build());
        assertThat(c.choices().get(0).message().content().orElseThrow()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    }

    /** A three-character piece of {@code text} whose first occurrence is not at the start. */
    static String stopWithin(String text) {
        for (int i = text.length() / 3; i + 3 <= text.length(); i++) {
            String s = text.substring(i, i + 3);
            if (!s.isBlank() && text.indexOf(s) > 0) {
                return s;
            }
        }
        throw new AssertionError("no usable stop sequence in: " + text);
    }

    @Test
    void legacyCompletionsEndpointWorks() {
        Completion c = client(SecuredServer.ALICE_KEY).completions().create(CompletionCreateParams.builder()
                .model(SecuredServer.MODEL).prompt("Once upon a time").maxTokens(8).temperature(0.0).build());
        assertThat(c.choices().get(0).text()).isNotEmpty();
        assertThat(c.usage().orElseThrow().completionTokens()).isBetween(1L, 8L);
    }

    @Test
    void listsTheServedModels() {
        List<String> ids = client(SecuredServer.ALICE_KEY).models().list().data().stream().map(Model::id).toList();
        assertThat(ids).containsExactly(SecuredServer.FORBIDDEN_MODEL, SecuredServer.MODEL);
        assertStatus(UnauthorizedException.class, 401, () -> client("sk-wrong").models().list());
    }

    @Test
    void badKeyIs401AndNeverEchoed() {
        UnauthorizedException e = assertStatus(UnauthorizedException.class, 401,
                () -> client("sk-mallory-guessing").chat().completions().create(chat(SecuredServer.MODEL).build()));
        assertThat(e.code()).contains("invalid_api_key");
        assertThat(e.body().toString()).doesNotContain("sk-mallory-guessing");
    }

    @Test
    void modelOutsideThePolicyIs403() {
        PermissionDeniedException e = assertStatus(PermissionDeniedException.class, 403,
                () -> client(SecuredServer.ALICE_KEY).chat().completions().create(chat(SecuredServer.FORBIDDEN_MODEL).build()));
        assertThat(e.type()).contains("permission_error");
    }

    @Test
    void unknownModelIs404() {
        NotFoundException e = assertStatus(NotFoundException.class, 404,
                () -> client(SecuredServer.ALICE_KEY).chat().completions().create(chat("gpt-4o").build()));
        assertThat(e.code()).contains("model_not_found");
    }

    @Test
    void rateLimitIs429WithRetryAfter() {
        OpenAIClient client = client(SecuredServer.LIMITED_KEY);
        for (int i = 0; i < SecuredServer.LIMITED_BURST; i++) {
            client.chat().completions().create(chat(SecuredServer.MODEL).maxCompletionTokens(2).build());
        }
        RateLimitException e = assertStatus(RateLimitException.class, 429,
                () -> client.chat().completions().create(chat(SecuredServer.MODEL).build()));
        assertThat(e.headers().values("Retry-After")).singleElement()
                .satisfies(v -> assertThat(Long.parseLong(v)).isPositive());
        assertThat(e.code()).contains("rate_limit_exceeded");
    }

    private static <T extends OpenAIServiceException> T assertStatus(Class<T> type, int status, Executable call) {
        T e = catchThrowableOfType(type, call::execute);
        assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
        assertThat(e.statusCode()).isEqualTo(status);
        return e;
    }
}
