package dev.assistant.server;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads a request body without holding a thread: Jetty calls back as bytes arrive, so a client trickling its body
 * (or a thousand of them) occupies a connection, never one of the threads that answer other clients. The whole
 * body must arrive within a deadline, and on average at least at a minimum rate (checked as bytes arrive, after
 * the first second), so a trickle is refused long before the deadline.
 *
 * <p>A body over the limit is still read and dropped up to {@code drainLimit} bytes, so the client (still sending)
 * receives the 413 instead of a connection reset; past that the result fails with {@link TooLarge} at once.
 */
final class BodyReader implements Runnable {
    /** The body exceeded the limit; {@code drained} says whether all of it was read (the connection may be kept). */
    static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean drained;

        TooLarge(boolean drained) {
            super(null, null, false, false);
            this.drained = drained;
        }
    }

    /** A body slower than its deadline or the minimum rate. */
    static final class TooSlow extends Exception {
        private static final long serialVersionUID = 1L;

        TooSlow() {
            super(null, null, false, false);
        }
    }

    private static final long RATE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Request request;
    private final int limit;
    private final long drainLimit;
    private final long minBytesPerSecond;
    private final long startNanos = System.nanoTime();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out;
    private long seen;

    private BodyReader(Request request, int limit, long drainLimit, long minBytesPerSecond) {
        this.request = request;
        this.limit = limit;
        this.drainLimit = drainLimit;
        this.minBytesPerSecond = minBytesPerSecond;
        long declared = request.getLength();
        this.out = new ByteArrayOutputStream(declared > 0 && declared <= limit ? (int) declared : 1024);
    }

    /**
     * Starts reading. The future completes with the body, or fails with {@link TooLarge}, {@link TooSlow}, or the
     * connection's failure (Jetty's {@code HttpException} for a malformed body, an {@code IOException} when the
     * client went away).
     *
     * @param minBytesPerSecond 0 for no minimum rate
     */
    static CompletableFuture<byte[]> read(Request request, int limit, long drainLimit, Duration deadline,
                                          long minBytesPerSecond) {
        BodyReader reader = new BodyReader(request, limit, drainLimit, minBytesPerSecond);
        long declared = request.getLength();
        if (declared > drainLimit) {
            reader.result.completeExceptionally(new TooLarge(false));
            return reader.result;
        }
        Scheduler.Task timer = request.getComponents().getScheduler().schedule(
                () -> reader.result.completeExceptionally(new TooSlow()),
                deadline.toNanos(), TimeUnit.NANOSECONDS);
        reader.result.whenComplete((body, failure) -> timer.cancel());
        reader.run();
        return reader.result;
    }

    private boolean tooSlow() {
        long elapsed = System.nanoTime() - startNanos;
        return minBytesPerSecond > 0 && elapsed > RATE_GRACE_NANOS
                && (double) seen * TimeUnit.SECONDS.toNanos(1) / elapsed < minBytesPerSecond;
    }

    /** Reads what is available, then asks to be called again; never blocks. */
    @Override
    public void run() {
        while (!result.isDone()) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                result.completeExceptionally(chunk.getFailure());
                return;
            }
            try {
                ByteBuffer bytes = chunk.getByteBuffer();
                int n = bytes.remaining();
                seen += n;
                if (seen <= limit) {
                    byte[] copy = new byte[n];
                    bytes.get(copy);
                    out.write(copy, 0, n);
                } else if (seen > drainLimit) {
                    result.completeExceptionally(new TooLarge(false));
                    return;
                }
                if (!chunk.isLast() && tooSlow()) {
                    result.completeExceptionally(new TooSlow());
                    return;
                }
                if (chunk.isLast()) {
                    if (seen > limit) {
                        result.completeExceptionally(new TooLarge(true));
                    } else {
                        result.complete(out.toByteArray());
                    }
                    return;
                }
            } finally {
                chunk.release();
            }
        }
    }
}
