package dev.assistant.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallDelta;
import dev.assistant.core.tools.ToolChoice;
import dev.assistant.core.tools.ToolSpec;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tool calling end to end on a real model (stories260K, which knows nothing of tools or JSON): a forced choice still
 * yields a call whose arguments validate, the tool's result goes back as a tool message, and a tool turn passes the
 * same authentication, policy, rate-limit and metrics steps as any call.
 */
class AssistantToolCallingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // stories260K's context is 512 tokens of a 512-token vocabulary: the tools are kept small
    static final ToolSpec WEATHER = ToolSpec.of("weather", "", json("""
            {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
             "days": {"type": "integer", "minimum": 1, "maximum": 7}}, "required": ["city", "days"],
             "additionalProperties": false}"""));
    static final ToolSpec TIME = ToolSpec.of("time", "", json("""
            {"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"]}}, "required": ["zone"]}"""));
    private static Assistant assistant;

    @BeforeAll
    static void load() {
        assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu").build();
    }

    @AfterAll
    static void close() {
        if (assistant != null) {
            assistant.close();
        }
    }

    private static ChatRequest.Builder weatherQuestion() {
        return ChatRequest.builder().user("Weather in Paris?").tools(List.of(WEATHER, TIME))
                .maxNewTokens(60);
    }

    @Test
    void aForcedFunctionIsCalledWithArgumentsThatValidateAtTemperatureOne() {
        for (long seed = 1; seed <= 8; seed++) {
            Completion c = assistant.chat(weatherQuestion().toolChoice(ToolChoice.function("weather"))
                    .sampling(SamplingParams.builder().temperature(1.0).seed(seed).build()).build());
            assertThat(c.finishReason()).as("seed %d: %s", seed, c).isEqualTo(FinishReason.TOOL_CALLS);
            assertThat(c.toolCalls()).hasSize(1);
            ToolCall call = c.toolCalls().get(0);
            assertThat(call.name()).isEqualTo("weather");
            assertThat(call.id()).startsWith("call_");
            assertValidWeatherArguments(call.argumentsJson());
            assertThat(c.text()).isEmpty();
        }
    }

    @Test
    void requiredLetsTheModelPickAnyToolAndStreamsTheCallInPieces() {
        List<ToolCallDelta> deltas = new CopyOnWriteArrayList<>();
        StringBuilder text = new StringBuilder();
        Completion c = assistant.chatStream(weatherQuestion().toolChoice(ToolChoice.required())
                .sampling(SamplingParams.builder().temperature(1.0).seed(42).build()).build(), new StreamListener() {
                    @Override
                    public void onText(String delta) {
                        text.append(delta);
                    }

                    @Override
                    public void onToolCall(ToolCallDelta delta) {
                        deltas.add(delta);
                    }
                }).join();
        assertThat(c.toolCalls()).hasSize(1);
        ToolCall call = c.toolCalls().get(0);
        assertThat(call.name()).isIn("weather", "time");
        if (call.name().equals("time")) {
            assertThat(call.argumentsJson().get("zone").asText()).isIn("UTC", "CET");
        } else {
            assertValidWeatherArguments(call.argumentsJson());
        }
        assertThat(deltas.get(0).id()).isEqualTo(call.id());
        assertThat(deltas.get(0).name()).isEqualTo(call.name());
        assertThat(deltas.get(0).arguments()).isEmpty();
        StringBuilder assembled = new StringBuilder();
        deltas.forEach(d -> assembled.append(d.arguments()));
        assertThat(assembled.toString()).isEqualTo(call.arguments());
        assertThat(text.toString()).isEmpty();
    }

    @Test
    void theToolResultGoesBackAsAToolMessageAndTheModelAnswersInText() {
        Completion first = assistant.chat(weatherQuestion().toolChoice(ToolChoice.function("weather")).build());
        ToolCall call = first.toolCalls().get(0);
        Completion answer = assistant.chat(weatherQuestion().assistant(first.text(), first.toolCalls())
                .toolResult(call.id(), "{\"forecast\": \"sunny\"}").toolChoice(ToolChoice.none()).maxNewTokens(8)
                .build());
        assertThat(answer.toolCalls()).isEmpty();
        assertThat(answer.finishReason()).isNotEqualTo(FinishReason.TOOL_CALLS);
        // stories260K has no chat template: the fallback writes the call and its result into the prompt as text
        String prompt = assistant.tokenizer().decode(answer.inputIds(), true);
        assertThat(prompt).contains("<tool_call>").contains("\"name\":\"weather\"")
                .contains("<tool_response>\n{\"forecast\": \"sunny\"}\n</tool_response>");
    }

    @Test
    void aToolTurnIsAuthenticatedAuthorizedRateLimitedAndMeasuredLikeAnyCall() {
        String key = "ak-agent-5d2c8e1f9a7b3c40";
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("test-pepper-not-a-real-one".getBytes(StandardCharsets.UTF_8)));
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(List.of(ApiKeyRecord.builder().keyId("agent")
                .principal("agent").hash(hasher.hash(key.toCharArray())).environment(Environment.PROD)
                .issuedAt(Instant.now().minus(1, ChronoUnit.DAYS)).groups(Set.of("agents")).build()));
        String policy = """
                {"version":"2.0","statement":[
                  {"effect":"allow","action":["assistant:Chat"],"resource":["model/*"]},
                  {"effect":"deny","action":["assistant:*"],"resource":["model/restricted"]}]}""";
        InMemoryMetrics metrics = InMemoryMetrics.builder().build();
        List<Completion> done = new ArrayList<>();
        List<AssistantException> refused = new ArrayList<>();
        for (String model : List.of("open", "restricted")) {
            try (Assistant a = Assistant.builder().modelPath(SharedModels.model("stories260K")).modelName(model)
                    .device("cpu").metrics(metrics)
                    .authenticator(ApiKeyAuthenticator.builder().hasher(hasher).store(store).environment(Environment.PROD)
                            .policies(PolicyRegistry.builder().policy("agents", policy).attachToGroup("agents", "agents")
                                    .build()).build())
                    .authorizer(new PolicyAuthorizer(SecurityEvents.NONE))
                    .rateLimiter(LocalRateLimiter.create(RateLimitConfig.builder().defaultPlan(new RatePlan(100, 100, 300))
                            .build(), SecurityEvents.NONE))
                    .build()) {
                ChatRequest turn = weatherQuestion().toolChoice(ToolChoice.function("weather"))
                        .callerKey(CallerKey.of(key)).build();
                for (Iterator<String> attempt = List.of("first", "second").iterator(); attempt.hasNext(); attempt.next()) {
                    try {
                        done.add(a.chat(turn));
                    } catch (AssistantException e) {
                        refused.add(e);
                    }
                }
            }
        }
        // the first turn's prompt with its tools alone is over the 300 tokens a minute: the second is refused
        assertThat(done).hasSize(1);
        assertThat(done.get(0).usage().totalTokens()).isGreaterThan(300);
        assertThat(done.get(0).toolCalls()).hasSize(1);
        assertThat(refused).extracting(AssistantException::code)
                .containsExactly(ErrorCode.RATE_LIMITED, ErrorCode.PERMISSION_DENIED, ErrorCode.PERMISSION_DENIED);
        var total = metrics.snapshot().total();
        assertThat(total.succeeded()).isEqualTo(1);
        assertThat(total.rateLimited()).isEqualTo(1);
        assertThat(total.policyFailures()).isEqualTo(2);
        assertThat(total.completionTokens()).isEqualTo(done.get(0).usage().completionTokens());
    }

    private static void assertValidWeatherArguments(JsonNode args) {
        assertThat(args.isObject()).isTrue();
        assertThat(args.size()).as("%s", args).isEqualTo(2);
        assertThat(args.get("city").isTextual()).isTrue();
        assertThat(args.get("city").asText().length()).isLessThanOrEqualTo(12);
        assertThat(args.get("days").isIntegralNumber()).isTrue();
        assertThat(args.get("days").asInt()).isBetween(1, 7);
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
