package dev.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.Secret;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Environment;
import dev.assistant.core.Assistant;
import dev.assistant.core.registry.AssistantFactory;
import dev.assistant.core.registry.ModelRegistry;
import dev.assistant.core.registry.ModelSpec;
import dev.assistant.server.OpenAiServer;
import dev.assistant.server.ServerConfig;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real models behind one server through a {@link ModelRegistry}: policies give each key its models, the admin
 * reload swaps a version under continuous load without losing a request, and a bad version is refused while the
 * old one keeps serving. Reloads go through the real {@code assistant models reload} command.
 */
class ModelRegistryServingTest {
    private static final String STORY_ONLY_KEY = "sk-dana-1a2b3c4d5e6f7a8b";
    private static final String BOTH_KEY = "sk-erin-9f8e7d6c5b4a3928";
    private static final String ADMIN_KEY = "sk-olga-0f1e2d3c4b5a6978";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private Authenticator authenticator;
    private ModelRegistry models;
    private OpenAiServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private Path storyV1;

    @BeforeEach
    void start() throws IOException {
        storyV1 = copyOf("stories260K", "story-v1");
        authenticator = authenticator();
        PolicyAuthorizer authorizer = new PolicyAuthorizer(SecurityEvents.NONE);
        AssistantFactory factory = (name, path) -> Assistant.builder().modelPath(path).modelName(name).device("cpu")
                .threads(1).workers(4).authenticator(authenticator).authorizer(authorizer).build();
        models = ModelRegistry.builder()
                .model(ModelSpec.of("story", storyV1, factory))
                .model(ModelSpec.of("gpt2", AssistantCliTest.shared("tinystories-gpt2-mini"), factory))
                .build();
        server = OpenAiServer.builder().config(ServerConfig.builder().host("127.0.0.1").port(0).build())
                .models(models).authenticator(authenticator).adminAuthorizer(authorizer).build().start();
    }

    @AfterEach
    void stop() {
        server.close();
        models.close();
    }

    @Test
    void listsBothModelsWithVersionsAndEachKeyReachesOnlyItsModels() throws Exception {
        JsonNode list = JSON.readTree(get("/v1/models", BOTH_KEY).body());
        assertThat(list.path("data")).hasSize(2);
        for (JsonNode model : list.path("data")) {
            assertThat(model.path("state").asText()).isEqualTo("loaded");
            assertThat(model.path("version").asText()).startsWith("sha256:");
        }
        String storyVersion = version("story");

        HttpResponse<String> story = chat("story", STORY_ONLY_KEY);
        assertThat(story.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(story.body()).path("system_fingerprint").asText()).isEqualTo(storyVersion);
        assertThat(chat("gpt2", STORY_ONLY_KEY).statusCode()).isEqualTo(403);
        HttpResponse<String> gpt2 = chat("gpt2", BOTH_KEY);
        assertThat(gpt2.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(gpt2.body()).path("system_fingerprint").asText()).isEqualTo(version("gpt2"));
    }

    @Test
    void reloadUnderLoadLosesNoRequestAndEveryAnswerNamesOneVersion() throws Exception {
        Path storyV2 = copyOf("stories260K", "story-v2");
        Files.writeString(storyV2.resolve("RELEASE"), "2\n");
        String v1 = version("story");
        List<String> seen = new CopyOnWriteArrayList<>();
        List<String> sentAfterSwitch = new CopyOnWriteArrayList<>();
        AtomicBoolean switched = new AtomicBoolean();
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            running.add(clients.submit(() -> {
                while (!stop.get()) {
                    try {
                        boolean after = switched.get();
                        HttpResponse<String> answer = chat("story", BOTH_KEY);
                        if (answer.statusCode() != 200) {
                            failures.add(answer.statusCode() + " " + answer.body());
                        } else {
                            String version = JSON.readTree(answer.body()).path("system_fingerprint").asText();
                            seen.add(version);
                            if (after) {
                                sentAfterSwitch.add(version);
                            }
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            }));
        }
        waitUntil(() -> seen.size() >= 8);
        assertThat(reload("story", storyV2, ADMIN_KEY)).isZero();
        switched.set(true);
        waitUntil(() -> sentAfterSwitch.size() >= 16);
        stop.set(true);
        for (Future<?> f : running) {
            f.get(2, TimeUnit.MINUTES);
        }
        clients.shutdown();

        String v2 = version("story");
        assertThat(failures).isEmpty();
        assertThat(v2).isNotEqualTo(v1);
        assertThat(Set.copyOf(seen)).containsExactlyInAnyOrder(v1, v2);
        // Requests sent after the switch ran on the new version (those in flight at it may end on the old one).
        assertThat(sentAfterSwitch).containsOnly(v2);
    }

    @Test
    void aBadVersionIsRefusedAndTheOldOneKeepsServing() throws Exception {
        String v1 = version("story");
        Path broken = copyOf("stories260K", "story-broken");
        try (var file = Files.newByteChannel(broken.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            file.truncate(file.size() / 3);
        }
        assertThat(reload("story", broken, ADMIN_KEY)).isEqualTo(1);
        assertThat(reload("story", storyV1, STORY_ONLY_KEY)).as("a key without the admin action").isEqualTo(1);
        assertThat(post("/admin/models/story/reload", "{}", STORY_ONLY_KEY).statusCode()).isEqualTo(403);
        assertThat(post("/admin/models/story/reload", "{}", null).statusCode()).isEqualTo(401);

        assertThat(version("story")).isEqualTo(v1);
        HttpResponse<String> answer = chat("story", BOTH_KEY);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).path("system_fingerprint").asText()).isEqualTo(v1);
    }

    private int reload(String model, Path path, String key) {
        ModelsReloadCommand command = new ModelsReloadCommand();
        command.environment = java.util.Map.of("ASSISTANT_API_KEY", key);
        String url = server.baseUrl().replace("/v1", "");
        return new picocli.CommandLine(command).execute(model, "--path", path.toString(), "--url", url);
    }

    private String version(String model) throws Exception {
        return JSON.readTree(get("/v1/models/" + model, BOTH_KEY).body()).path("version").asText();
    }

    private HttpResponse<String> chat(String model, String key) throws Exception {
        return post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"max_tokens\":6,\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}", key);
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        b.header("Authorization", "Bearer " + key);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create(server.baseUrl().replace("/v1", "") + path);
    }

    private static Authenticator authenticator() {
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("registry-test-pepper".getBytes(StandardCharsets.UTF_8)));
        Instant issued = Instant.now().minus(1, ChronoUnit.DAYS);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(List.of(
                record(hasher, "dana", STORY_ONLY_KEY, "story-users", issued),
                record(hasher, "erin", BOTH_KEY, "all-users", issued),
                record(hasher, "olga", ADMIN_KEY, "operators", issued)));
        PolicyRegistry policies = PolicyRegistry.builder()
                .policy("story-only", """
                        {"version":"2.0","statement":[{"effect":"allow","action":["assistant:Chat"],
                         "resource":["model/story"]}]}""")
                .policy("all-models", """
                        {"version":"2.0","statement":[{"effect":"allow","action":["assistant:Chat"],
                         "resource":["model/*"]}]}""")
                .policy("reload", """
                        {"version":"2.0","statement":[{"effect":"allow","action":["assistant:ReloadModel",
                         "assistant:Chat"],"resource":["model/*"]}]}""")
                .attachToGroup("story-users", "story-only").attachToGroup("all-users", "all-models")
                .attachToGroup("operators", "reload").build();
        return ApiKeyAuthenticator.builder().hasher(hasher).store(store).environment(Environment.PROD)
                .policies(policies).build();
    }

    private static ApiKeyRecord record(ApiKeyHasher hasher, String id, String key, String group, Instant issued) {
        return ApiKeyRecord.builder().keyId(id).principal(id).hash(hasher.hash(key.toCharArray()))
                .environment(Environment.PROD).issuedAt(issued).groups(Set.of(group)).build();
    }

    private Path copyOf(String model, String as) throws IOException {
        Path target = Files.createDirectories(temp.resolve(as));
        try (Stream<Path> files = Files.list(AssistantCliTest.shared(model))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 3 minutes");
            }
            Thread.sleep(20);
        }
    }
}
