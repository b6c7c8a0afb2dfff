package dev.assistant.core.registry;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRegistryTest {
    private static final AssistantFactory CPU = (name, path) -> Assistant.builder().modelPath(path).modelName(name)
            .device("cpu").threads(1).build();

    @TempDir
    Path temp;

    @Test
    void servesSeveralModelsByName() {
        try (ModelRegistry registry = ModelRegistry.builder()
                .model(ModelSpec.of("llama", SharedModels.model("stories260K"), CPU))
                .model(ModelSpec.of("gpt2", SharedModels.model("tinystories-gpt2-mini"), CPU))
                .build()) {
            assertThat(registry.names()).containsExactly("llama", "gpt2");
            try (ModelLease llama = registry.lease("llama"); ModelLease gpt2 = registry.lease("gpt2")) {
                assertThat(llama.assistant().modelInfo().architecture()).isEqualTo("LlamaForCausalLM");
                assertThat(gpt2.assistant().modelInfo().architecture()).isEqualTo("GPT2LMHeadModel");
                assertThat(llama.version().id()).startsWith("sha256:").isNotEqualTo(gpt2.version().id());
                assertThat(registry.status()).extracting(ModelStatus::inFlight).containsExactly(1, 1);
            }
            assertThat(registry.status()).extracting(ModelStatus::state)
                    .containsOnly(ModelStatus.State.LOADED);
            assertThatThrownBy(() -> registry.lease("nope")).isInstanceOf(AssistantException.class)
                    .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
        }
    }

    @Test
    void reloadUnderLoadLosesNoRequestAndEachAnswerComesFromOneVersion() throws Exception {
        Path v1 = copyOf("stories260K", "v1");
        Path v2 = copyOf("stories260K", "v2");
        Files.writeString(v2.resolve("RELEASE"), "second build\n"); // same weights, another version id
        try (ModelRegistry registry = ModelRegistry.builder().model(ModelSpec.of("story", v1, CPU)).build()) {
            ModelVersion first = registry.status().get(0).version();
            AtomicBoolean stop = new AtomicBoolean();
            List<String> versionsSeen = new CopyOnWriteArrayList<>();
            List<String> leasedAfterSwitch = new CopyOnWriteArrayList<>();
            AtomicBoolean switched = new AtomicBoolean();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                running.add(clients.submit(() -> {
                    while (!stop.get()) {
                        boolean after = switched.get();
                        try (ModelLease lease = registry.lease("story")) {
                            Completion done = lease.assistant().generate(GenerateRequest.builder()
                                    .prompt("Once upon a time").maxNewTokens(8).build());
                            assertThat(done.outputIds()).isNotEmpty();
                            versionsSeen.add(lease.version().id());
                            if (after) {
                                leasedAfterSwitch.add(lease.version().id());
                            }
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }
                }));
            }
            waitUntil(() -> versionsSeen.size() >= 10);
            ModelVersion second = registry.reload("story", v2);
            switched.set(true);
            waitUntil(() -> leasedAfterSwitch.size() >= 20);
            stop.set(true);
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();

            assertThat(failures).isEmpty();
            assertThat(second.id()).isNotEqualTo(first.id());
            assertThat(Set.copyOf(versionsSeen)).containsExactlyInAnyOrder(first.id(), second.id());
            // Once the switch returned, no new lease lands on the old version (requests leased before it may still
            // finish on the old one, in any order).
            assertThat(leasedAfterSwitch).containsOnly(second.id());
            try (ModelLease lease = registry.lease("story")) {
                assertThat(lease.version()).isEqualTo(second);
            }
            waitUntil(() -> registry.status().get(0).draining() == 0); // the old version was freed
        }
    }

    @Test
    void oldVersionFinishesItsRequestsAndIsFreedAfterThem() throws IOException {
        Path v1 = copyOf("stories260K", "v1");
        Path v2 = copyOf("stories260K", "v2");
        Files.writeString(v2.resolve("RELEASE"), "2\n");
        try (ModelRegistry registry = ModelRegistry.builder().model(ModelSpec.of("story", v1, CPU)).build()) {
            ModelLease held = registry.lease("story");
            Assistant old = held.assistant();
            registry.reload("story");           // same path: same files, same version, still a fresh load
            registry.reload("story", v2);       // the first reload's version, never leased, is freed at once
            assertThat(registry.status().get(0).draining()).isEqualTo(1);
            // The request holding the old version still runs on it.
            assertThat(old.generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).build()).outputIds())
                    .isNotEmpty();
            held.close();
            assertThatThrownBy(() -> old.generate(GenerateRequest.of("Hi"))).isInstanceOf(AssistantException.class)
                    .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
            assertThat(registry.status().get(0).draining()).isZero();
        }
    }

    @Test
    void aVersionThatFailsToLoadOrVerifyIsRefusedAndTheOldOneKeepsServing() throws IOException {
        Path good = copyOf("stories260K", "good");
        Path truncated = copyOf("stories260K", "truncated");
        try (var channel = Files.newByteChannel(truncated.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }
        AtomicBoolean failSelfTest = new AtomicBoolean();
        SelfTest test = assistant -> {
            if (failSelfTest.get()) {
                throw new IllegalStateException("answers look wrong");
            }
            SelfTest.FORWARD_PASS.verify(assistant);
        };
        try (ModelRegistry registry = ModelRegistry.builder().model(ModelSpec.of("story", good, CPU)).selfTest(test)
                .build()) {
            ModelVersion serving = registry.status().get(0).version();
            assertThatThrownBy(() -> registry.reload("story", truncated)).isInstanceOf(AssistantException.class)
                    .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
            assertThatThrownBy(() -> registry.reload("story", temp.resolve("missing")))
                    .isInstanceOf(AssistantException.class)
                    .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
            failSelfTest.set(true);
            assertThatThrownBy(() -> registry.reload("story")).isInstanceOf(AssistantException.class)
                    .hasMessageContaining("self-test").hasMessageContaining("answers look wrong");

            assertThat(registry.status().get(0).version()).isEqualTo(serving);
            assertThat(registry.status().get(0).path()).isEqualTo(good);
            try (ModelLease lease = registry.lease("story")) {
                assertThat(lease.assistant().generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).build())
                        .outputIds()).isNotEmpty();
            }
        }
    }

    @Test
    void idleModelIsUnloadedAndTheNextRequestLoadsItAgain() {
        AtomicLong now = new AtomicLong();
        try (ModelRegistry registry = ModelRegistry.builder()
                .model(ModelSpec.of("story", SharedModels.model("stories260K"), CPU))
                .idleUnloadAfter(Duration.ofMinutes(10)).nanoClock(now::get).build()) {
            Assistant first;
            try (ModelLease lease = registry.lease("story")) {
                first = lease.assistant();
                now.addAndGet(Duration.ofMinutes(11).toNanos());
                assertThat(registry.unloadIdle()).isEmpty(); // a lease is open: never unloaded under a request
            }
            assertThat(registry.unloadIdle()).isEmpty();     // the lease just touched it
            now.addAndGet(Duration.ofMinutes(11).toNanos());
            assertThat(registry.unloadIdle()).containsExactly("story");
            assertThat(registry.status().get(0).state()).isEqualTo(ModelStatus.State.UNLOADED);
            assertThatThrownBy(() -> first.generate(GenerateRequest.of("Hi"))).isInstanceOf(AssistantException.class);

            try (ModelLease lease = registry.lease("story")) { // waits for the load instead of failing
                assertThat(lease.assistant()).isNotSameAs(first);
                assertThat(lease.assistant().generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).build())
                        .outputIds()).isNotEmpty();
            }
        }
    }

    @Test
    void modelsThatDoNotFitTheMemoryLimitAreRefusedAtStart() {
        Path model = SharedModels.model("stories260K");
        long expected = WeightFootprint.estimate(model, false);
        assertThat(expected).isEqualTo(260_032L * Float.BYTES); // float32 weights, as stored
        assertThatThrownBy(() -> ModelRegistry.builder().model(ModelSpec.of("a", model, CPU))
                .model(ModelSpec.of("b", model, CPU)).memoryLimitBytes(expected + expected / 2).build())
                .isInstanceOf(AssistantException.class)
                .hasMessageContaining("memory limit")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    }

    @Test
    void closeFreesEveryVersionAndRefusesLeases() {
        ModelRegistry registry = ModelRegistry.builder()
                .model(ModelSpec.of("story", SharedModels.model("stories260K"), CPU)).build();
        Assistant assistant;
        try (ModelLease lease = registry.lease("story")) {
            assistant = lease.assistant();
        }
        registry.close();
        assertThatThrownBy(() -> registry.lease("story")).isInstanceOf(AssistantException.class)
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
        assertThatThrownBy(() -> assistant.generate(GenerateRequest.of("Hi"))).isInstanceOf(AssistantException.class);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("assistant-model-"));
    }

    private Path copyOf(String model, String as) throws IOException {
        Path target = Files.createDirectories(temp.resolve(as));
        try (Stream<Path> files = Files.list(SharedModels.model(model))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 120 s");
            }
            Thread.sleep(10);
        }
    }
}
