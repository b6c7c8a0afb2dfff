package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/** Looks up the embedding rows of token ids. Implementations differ in how the table is stored. */
interface TokenEmbedding {

    /** Rows for {@code ids} as [ids.length, hidden], attached to {@code scope}. */
    NDArray lookup(NDManager scope, long[] ids);

    /** A float32 table held by libtorch. */
    static TokenEmbedding of(NDArray table) {
        return new Float32(table);
    }

    /** A float32 table [vocab, hidden] held by libtorch. */
    record Float32(NDArray table) implements TokenEmbedding {
        @Override
        public NDArray lookup(NDManager scope, long[] ids) {
            return table.get(scope, new NDIndex("{}", scope.create(ids)));
        }
    }
}
