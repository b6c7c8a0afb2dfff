package dev.assistant.metrics;

import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;
import dev.assistant.api.metrics.Ticker;
import dev.assistant.api.metrics.Operation;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.MetricsListener;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The module works on a class path without Micrometer, as long as the binding class is not used. */
class MicrometerIsOptionalTest {
    @Test
    void everythingButTheBindingRunsWithoutMicrometerOnTheClassPath() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("micrometer") && !entry.contains("prometheus")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, loader))
                    .isInstanceOf(ClassNotFoundException.class);
            // Runs a full wiring (in-memory, call log, alerts) inside the Micrometer-free loader.
            Class<?> scenario = Class.forName(Scenario.class.getName(), true, loader);
            Object result = scenario.getMethod("run").invoke(null);
            assertThat(result).isEqualTo("started=1 succeeded=1 alerts=1");
        }
    }

    /** Loaded in the Micrometer-free class loader. */
    public static final class Scenario {
        public static String run() {
            var memory = dev.assistant.metrics.memory.InMemoryMetrics.create();
            var metrics = new RequestMetrics(MetricsListener.composite(memory,
                    new dev.assistant.metrics.calllog.CallLogListener()), Ticker.SYSTEM);
            RequestTimer t = metrics.start(new RequestInfo("r", "k", "m", Operation.CHAT));
            t.firstToken();
            t.succeeded(1, 2);
            var engine = dev.assistant.metrics.alert.AlertEngine.builder()
                    .rules(List.of(dev.assistant.metrics.alert.AlertRule.builder("heap_known",
                            new dev.assistant.metrics.alert.Signal.HeapUsed()).above(-1).build()))
                    .systemMetrics(dev.assistant.metrics.system.SystemMonitor.ofJvm()::sampleNow)
                    .requestMetrics(memory::snapshot)
                    .notifier(new dev.assistant.metrics.notify.LoggingNotifier()).build();
            var snapshot = memory.snapshot().total();
            int alerts = engine.evaluate().size();
            return "started=" + snapshot.started() + " succeeded=" + snapshot.succeeded() + " alerts=" + alerts;
        }
    }
}
