package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs in both surefire executions: with jdk.incubator.vector (best() is the vector kernel, no warning) and without it
 * (best() is the scalar kernel and the SDK still computes correctly). best() itself logs nothing (no process-wide
 * warn-once state): the loader of each model logs {@link Int8Kernels#scalarWarning()}, which names the flag.
 */
class Int8KernelsSelectionTest {

    /** Installed before any test of this class calls best(); this class runs alone in the fallback JVM. */
    private static final List<LogRecord> RECORDS = new CopyOnWriteArrayList<>();
    private static final Logger JUL = Logger.getLogger(Int8Kernels.class.getName());
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            RECORDS.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void captureWarnings() {
        JUL.addHandler(HANDLER);
    }

    @AfterAll
    static void release() {
        JUL.removeHandler(HANDLER);
    }

    @Test
    void bestFollowsTheModulePresenceAndTheWarningNamesTheFlag() {
        Int8Kernel first = Int8Kernels.best();
        Int8Kernel second = Int8Kernels.best();
        assertThat(second).isSameAs(first);
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertThat(Int8Kernels.vectorModulePresent()).isEqualTo(present);
        if (present) {
            assertThat(first.name()).startsWith("vector-");
            assertThat(Int8Kernels.describeSelection()).contains("Vector API");
            assertThat(Int8Kernels.scalarWarning()).isEmpty();
        } else {
            assertThat(first).isSameAs(Int8Kernels.scalar());
            assertThat(Int8Kernels.describeSelection()).contains("scalar", "jdk.incubator.vector");
            assertThat(Int8Kernels.scalarWarning()).hasValueSatisfying(
                    warning -> assertThat(warning).contains("--add-modules jdk.incubator.vector"));
        }
        assertThat(RECORDS).as("best() logs nothing itself").isEmpty();
    }

    @Test
    void bestComputesCorrectlyInEitherJvm() {
        Random r = new Random(51);
        QuantizedMatrix w = new Quantizer(QuantScheme.GROUP_32).quantize(Matrices.gaussian(r, 33 * 70, 0.1f), 33, 70);
        float[] x = Matrices.gaussian(r, 3 * 70, 1f);
        float[] y = new float[3 * 33];
        Int8Kernels.best().matmul(w, x, 3, y);
        KernelContract.assertClose(y, Matrices.reference(w, x, 3, null), Matrices.errorBudget(w, x, 3), "best");
    }

    @Test
    void warmUpReachesCompiledSpeedWithinItsBudget() {
        assertThat(Int8Kernels.warmUp(Int8Kernels.best(), QuantScheme.GROUP_64, java.time.Duration.ofSeconds(60)))
                .isTrue();
        assertThat(Int8Kernels.warmUp(Int8Kernels.best(), QuantScheme.PER_CHANNEL, java.time.Duration.ZERO))
                .isFalse();
    }
}
