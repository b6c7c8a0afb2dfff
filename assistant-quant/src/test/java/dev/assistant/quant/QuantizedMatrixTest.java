package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantizedMatrixTest {

    @Test
    void reloadFromSavedArraysGivesBitIdenticalOutputs() {
        Random r = new Random(11);
        int rows = 37;
        int cols = 576;
        QuantizedMatrix original = new Quantizer(QuantScheme.GROUP_128)
                .quantize(Matrices.weightsWithOutliers(r, rows, cols), rows, cols);
        // What a file writer would save, then read back: the bytes of the two buffers.
        ByteBuffer savedValues = original.valuesBuffer();
        FloatBuffer savedScales = original.scalesBuffer();
        byte[] values = new byte[savedValues.remaining()];
        savedValues.get(values);
        float[] scales = new float[savedScales.remaining()];
        savedScales.get(scales);
        QuantizedMatrix reloaded = QuantizedMatrix.wrap(rows, cols, QuantScheme.parse(original.scheme().name()),
                values, scales);

        float[] x = Matrices.gaussian(r, 5 * cols, 1f);
        for (Int8Kernel kernel : kernels()) {
            float[] a = new float[5 * rows];
            float[] b = new float[5 * rows];
            kernel.matmul(original, x, 5, a);
            kernel.matmul(reloaded, x, 5, b);
            for (int i = 0; i < a.length; i++) {
                assertThat(Float.floatToRawIntBits(b[i])).as(kernel.name()).isEqualTo(Float.floatToRawIntBits(a[i]));
            }
        }
    }

    private static Int8Kernel[] kernels() {
        return new Int8Kernel[] {Int8Kernels.scalar(), Int8Kernels.best()};
    }

    @Test
    void dequantizedRowIsTheEmbeddingLookup() {
        Random r = new Random(12);
        QuantizedMatrix table = new Quantizer(QuantScheme.GROUP_32).quantize(Matrices.gaussian(r, 10 * 70, 1f), 10, 70);
        float[] all = table.dequantize();
        float[] row = new float[72];
        table.dequantizeRow(7, row, 2);
        for (int k = 0; k < 70; k++) {
            assertThat(row[2 + k]).isEqualTo(all[7 * 70 + k]);
        }
        assertThatThrownBy(() -> table.dequantizeRow(7, row, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void stackedRowsComputeTheSameBitsAsSeparateCalls() {
        Random r = new Random(13);
        Quantizer quantizer = new Quantizer(QuantScheme.GROUP_64);
        QuantizedMatrix q = quantizer.quantize(Matrices.gaussian(r, 24 * 192, 0.1f), 24, 192);
        QuantizedMatrix k = quantizer.quantize(Matrices.gaussian(r, 8 * 192, 0.1f), 8, 192);
        QuantizedMatrix qk = QuantizedMatrix.concatRows(q, k);
        assertThat(qk.rows()).isEqualTo(32);
        float[] x = Matrices.gaussian(r, 192, 1f);
        float[] fused = new float[32];
        float[] yq = new float[24];
        float[] yk = new float[8];
        Int8Kernel kernel = Int8Kernels.best();
        kernel.matmul(qk, x, 1, fused);
        kernel.matmul(q, x, 1, yq);
        kernel.matmul(k, x, 1, yk);
        assertThat(java.util.Arrays.copyOfRange(fused, 0, 24)).isEqualTo(yq);
        assertThat(java.util.Arrays.copyOfRange(fused, 24, 32)).isEqualTo(yk);
        QuantizedMatrix other = new Quantizer(QuantScheme.PER_CHANNEL).quantize(new float[192], 1, 192);
        assertThatThrownBy(() -> QuantizedMatrix.concatRows(q, other)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ofCopiesItsInputs() {
        byte[] values = {1, 2, 3, 4};
        float[] scales = {0.5f, 0.25f};
        QuantizedMatrix q = QuantizedMatrix.of(2, 2, QuantScheme.PER_CHANNEL, values, scales);
        values[0] = 100;
        scales[0] = 9f;
        assertThat(q.dequantize(0, 0)).isEqualTo(0.5f);
        q.values()[1] = 50;
        assertThat(q.value(0, 1)).isEqualTo((byte) 2);
    }

    @Test
    void buffersAreReadOnlyViews() {
        QuantizedMatrix q = QuantizedMatrix.of(1, 2, QuantScheme.PER_CHANNEL, new byte[] {1, 2}, new float[] {1f});
        assertThatThrownBy(() -> q.valuesBuffer().put((byte) 0)).isInstanceOf(ReadOnlyBufferException.class);
        assertThatThrownBy(() -> q.scalesBuffer().put(0f)).isInstanceOf(ReadOnlyBufferException.class);
        assertThat(q.sizeInBytes()).isEqualTo(6);
    }

    @Test
    void inconsistentArraysAreModelInvalid() {
        assertInvalid(() -> QuantizedMatrix.of(2, 3, QuantScheme.PER_CHANNEL, new byte[5], new float[2]),
                "expected 6 int8 values");
        assertInvalid(() -> QuantizedMatrix.of(2, 100, QuantScheme.GROUP_64, new byte[200], new float[2]),
                "expected 4 scales");
        assertInvalid(() -> QuantizedMatrix.of(1, 2, QuantScheme.PER_CHANNEL, new byte[2], new float[] {-1f}),
                "non-negative");
        assertInvalid(() -> QuantizedMatrix.of(1, 2, QuantScheme.PER_CHANNEL, new byte[2], new float[] {Float.NaN}),
                "finite");
        assertInvalid(() -> QuantizedMatrix.of(1, 2, QuantScheme.PER_CHANNEL, new byte[] {0, -128}, new float[] {1f}),
                "-128");
        assertInvalid(() -> QuantizedMatrix.of(0, 2, QuantScheme.PER_CHANNEL, new byte[0], new float[0]),
                "positive");
    }

    private static void assertInvalid(Runnable r, String detail) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(AssistantException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
            assertThat(e.getMessage()).contains(detail);
        });
    }
}
