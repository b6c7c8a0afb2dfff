package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.assistant.quant.QuantizedMatrix;

/** An INT8 embedding table: looked-up rows are dequantized in Java (only the rows a step needs). */
final class Int8Embedding implements TokenEmbedding {
    private final QuantizedMatrix table;

    Int8Embedding(QuantizedMatrix table) {
        this.table = table;
    }

    @Override
    public NDArray lookup(NDManager scope, long[] ids) {
        return scope.create(rows(ids), new Shape(ids.length, table.cols()));
    }

    /** The rows of {@code ids}, dequantized, side by side ([ids.length * hidden]). */
    float[] rows(long[] ids) {
        int hidden = table.cols();
        float[] out = new float[ids.length * hidden];
        for (int i = 0; i < ids.length; i++) {
            table.dequantizeRow((int) ids[i], out, i * hidden);
        }
        return out;
    }
}
