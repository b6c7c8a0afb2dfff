package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Continuous batching: one engine thread drives the model for every request. Requests wait in a bounded queue that
 * is fair between callers, join the running batch between steps, and leave it when they finish; each step is one
 * {@link CausalLanguageModel#forwardBatch forward pass} over the newest token of every decoding request (plus a
 * chunk of any prompt being evaluated), so the weights are read once per step instead of once per request. Each
 * request keeps its own KV cache and sampling state, so its tokens are the ones it would get alone.
 *
 * <p>Memory: KV caches (reserved in full when a request joins) plus one step's activations stay within
 * {@link BatchingSettings#memoryBudgetBytes()}; requests wait in the queue while their cache would not fit. When a
 * step fails (a native allocation failure, or anything else) the batch is halved and the step retried, which is
 * safe because a failed step changes no sequence; a request that fails alone ends with {@code RESOURCE_EXHAUSTED}
 * (or {@code INTERNAL}) while the others carry on. The batch grows back after a run of successful steps.
 *
 * <p>Prefix cache: a finished request leaves a copy of its KV cache in a {@link PrefixCache} (at most
 * {@link BatchingSettings#prefixCacheBytes()}, counted in the memory budget and evicted first when running requests
 * need the memory); a request whose prompt starts with cached tokens starts from a copy and evaluates only the rest.
 *
 * <p>Stopping: each job carries one {@link CancellationToken}. When it is stopped (cancelled, or past its deadline)
 * the job's result fails at once with the token's reason, a queued job leaves the queue at once, and a running one
 * leaves the batch at the next step boundary, freeing its place and its KV cache. The engine also expires a token
 * itself when it sees the deadline pass, so a job without an outside timer still times out.
 *
 * <p>Streaming callbacks ({@link Generator.Listener}, {@link Generator.TextStream}) and the result's completion run
 * on the engine thread: they must only hand work on (the assistant enqueues it for its callback executor), as they
 * delay every request in the batch.
 */
public final class BatchingEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingEngine.class);
    /** Successful steps after which a shrunk batch (or prefill chunk) doubles again. */
    private static final int GROW_AFTER_STEPS = 32;

    /**
     * One generation to run.
     *
     * @param request       prompt, limits, sampling and stops
     * @param stream        turns tokens into text
     * @param listener      receives tokens and text as they are produced (on the engine thread)
     * @param random        the request's own random source for sampling
     * @param fairnessKey   requests with the same key queue behind each other; different keys take turns
     * @param token         stops the request (cancellation, and the deadline on the engine's clock)
     * @param onAdmitted    told the queue depth when the request leaves the queue for the batch
     */
    public record Job(GenerationRequest request, Generator.TextStream stream, Generator.Listener listener,
                      RandomGenerator random, String fairnessKey, CancellationToken token, IntConsumer onAdmitted) {
        public Job {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(listener, "listener");
            Objects.requireNonNull(random, "random");
            Objects.requireNonNull(fairnessKey, "fairnessKey");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(onAdmitted, "onAdmitted");
        }
    }

    /** A submitted job: its future result and a way to stop it. */
    public static final class Ticket {
        private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        private final CancellationToken token;

        private Ticket(CancellationToken token) {
            this.token = token;
        }

        /**
         * Completes (on the engine thread, or on the thread that stopped the job) with the result, or exceptionally
         * with an {@link AssistantException}: the token's reason ({@code CANCELLED}, {@code TIMEOUT}) as soon as it
         * is stopped, {@code RESOURCE_EXHAUSTED}, {@code ENGINE_UNAVAILABLE} when the engine closes, {@code INTERNAL}.
         */
        public CompletableFuture<GenerationResult> result() {
            return result;
        }

        /** Cancels the job's token: the result fails at once; the job leaves the batch at the next step boundary. */
        public void cancel() {
            token.cancel();
        }
    }

    /**
     * A queued job; {@code followers} are further choices of the same prompt, admitted with it, that continue from
     * a copy of its KV cache once its prompt is evaluated.
     */
    private record Pending(Job job, Ticket ticket, int capacity, long kvBytes, List<Pending> followers) {
        CancellationToken token() {
            return job.token();
        }

        long groupKvBytes() {
            return kvBytes * (1 + followers.size());
        }
    }

    /** A request in the batch. Engine thread only. */
    private static final class Slot {
        final Pending pending;
        final Decoding decoding;
        final Sequence sequence;
        int fed; // prompt tokens evaluated so far
        List<Pending> followers = List.of(); // choices waiting to fork this slot's prompt

        Slot(Pending pending, Decoding decoding, Sequence sequence) {
            this.pending = pending;
            this.decoding = decoding;
            this.sequence = sequence;
        }

        int promptRemaining() {
            return decoding.prompt().length - fed;
        }
    }

    private final CausalLanguageModel model;
    private final BatchingSettings settings;
    private final LongSupplier nanoClock;
    private final DrainRate drainRate;
    private final PrefixCache prefixCache;
    private final ThreadFactory threads;
    private final Thread thread;
    /** Compiles the vector sampling path (see {@link ExpSums#warmUp}); null until a request needs it. */
    private volatile Thread samplingWarmUp;
    /** How long the warm-up may take (it runs beside model work on a loaded machine); past it draws stay scalar. */
    private static final java.time.Duration SAMPLING_WARM_UP = java.time.Duration.ofSeconds(10);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    // guarded by lock
    private final FairQueue<Pending> queue = new FairQueue<>();
    private int activeCount;
    private long reservedKvBytes;
    private int longestActiveCapacity;
    private boolean closed;
    // engine thread only
    private final List<Slot> active = new ArrayList<>();
    private int batchLimit;
    private int prefillChunk;
    private int successes;
    private int rotation;
    /** The steps' logits, one array per row of the largest step so far, reused step after step (see
     * {@link CausalLanguageModel#forwardBatchInto}); nothing keeps a step's logits past its {@code accept}s. */
    private float[][] stepLogits = new float[0][];

    /**
     * Starts the engine thread (from {@code threads}; make it a daemon so a forgotten engine cannot keep the JVM
     * alive). The first request that draws from the whole vocabulary starts a second thread from {@code threads}, once
     * per JVM with the Vector API, that compiles the fast sampling path for about a second and ends. The model stays
     * owned by the caller: close the engine first, then the model.
     */
    public BatchingEngine(CausalLanguageModel model, BatchingSettings settings, LongSupplier nanoClock,
                          ThreadFactory threads) {
        this.model = Objects.requireNonNull(model, "model");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.drainRate = new DrainRate(nanoClock);
        this.prefixCache = new PrefixCache(model, settings.prefixCacheBytes());
        this.batchLimit = settings.maxBatch();
        this.prefillChunk = settings.prefillChunkTokens();
        this.threads = threads;
        this.thread = threads.newThread(this::loop);
        thread.start();
    }

    public BatchingSettings settings() {
        return settings;
    }

    /** Requests waiting for a place in the batch. */
    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Requests in the batch (generating or evaluating their prompt). */
    public int active() {
        lock.lock();
        try {
            return activeCount;
        } finally {
            lock.unlock();
        }
    }

    /** How long a caller refused for overload now should wait (see {@link DrainRate}). */
    public long retryAfterNanos() {
        return drainRate.retryAfterNanos(queueDepth());
    }

    /** Bytes of KV cache reserved by the requests in the batch. */
    public long reservedKvBytes() {
        lock.lock();
        try {
            return reservedKvBytes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues {@code job}; returns at once.
     *
     * @throws AssistantException {@code OVERLOADED} when the queue is full, {@code ENGINE_UNAVAILABLE} when closed,
     *                            {@code RESOURCE_EXHAUSTED} when the request could not fit the memory budget even
     *                            alone, {@code INVALID_REQUEST}/{@code CONTEXT_OVERFLOW} for a request that cannot run
     */
    public Ticket submit(Job job) {
        return submitChoices(List.of(job)).get(0);
    }

    /**
     * Queues several choices of one prompt (the same request, each with its own random source and listener) as one
     * group: they join the batch together, the prompt is evaluated once, and each choice continues from a copy of
     * its KV cache ({@link Sequence#fork}). A backend that cannot copy a cache evaluates the prompt once per choice.
     *
     * @return one ticket per job, in order
     * @throws AssistantException as {@link #submit}; also {@code INVALID_REQUEST} when the jobs' prompts differ
     */
    public List<Ticket> submitChoices(List<Job> jobs) {
        if (jobs.isEmpty()) {
            throw new IllegalArgumentException("no jobs");
        }
        Job head = jobs.get(0);
        for (Job j : jobs) {
            if (!Arrays.equals(j.request().promptIds(), head.request().promptIds())
                    || j.request().maxNewTokens() != head.request().maxNewTokens()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "the choices of one request must share "
                        + "the prompt and the new-token limit");
            }
        }
        Decoding.validate(head.request(), model.contextLength(), model.config().vocabSize());
        int capacity = Decoding.capacity(head.request(), model.contextLength());
        long kv = model.kvCacheBytes(capacity);
        long alone = kv * jobs.size() + model.activationBytes(Math.min(head.request().promptIds().length,
                settings.prefillChunkTokens()), capacity);
        if (alone > settings.memoryBudgetBytes()) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "a request of " + capacity + " tokens"
                    + (jobs.size() > 1 ? " x " + jobs.size() + " choices" : "") + " needs " + mib(alone)
                    + " (KV cache " + mib(kv * jobs.size()) + ") but the memory budget is "
                    + mib(settings.memoryBudgetBytes()) + "; lower max new tokens" + (jobs.size() > 1 ? " or n" : "")
                    + " or raise the budget");
        }
        List<Pending> followers = new ArrayList<>();
        for (Job j : jobs.subList(1, jobs.size())) {
            followers.add(new Pending(j, new Ticket(j.token()), capacity, kv, List.of()));
        }
        Pending pending = new Pending(head, new Ticket(head.token()), capacity, kv, List.copyOf(followers));
        lock.lock();
        try {
            if (closed) {
                throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the engine is closed");
            }
            int freeSlots = Math.max(0, settings.maxBatch() - activeCount);
            if (queue.size() >= settings.queueCapacity() + freeSlots) {
                throw new AssistantException(ErrorCode.OVERLOADED, "the assistant is at capacity (" + activeCount
                        + " running, " + queue.size() + " queued); retry later", null, null,
                        drainRate.retryAfterNanos(queue.size()));
            }
            queue.add(head.fairnessKey(), pending);
            work.signal();
        } finally {
            lock.unlock();
        }
        head.token().whenStopped(reason -> stopped(pending, reason));
        // A follower still waiting for its head (queued, or waiting to fork) fails at once too; a running one is
        // reaped at the next step boundary like any job.
        followers.forEach(f -> f.token().whenStopped(reason -> f.ticket.result.completeExceptionally(reason)));
        List<Ticket> tickets = new ArrayList<>(jobs.size());
        tickets.add(pending.ticket);
        followers.forEach(f -> tickets.add(f.ticket));
        return tickets;
    }

    /**
     * The job's token was stopped (on the stopping thread): its result fails now, and a queued job gives its place
     * back at once; a running one is reaped at the next step boundary.
     */
    private void stopped(Pending pending, AssistantException reason) {
        lock.lock();
        try {
            queue.removeIf(p -> p == pending);
        } finally {
            lock.unlock();
        }
        pending.ticket.result.completeExceptionally(reason);
    }

    // ---- engine thread ------------------------------------------------------------------------------------------

    private void loop() {
        try {
            while (true) {
                List<Pending> admitted = new ArrayList<>();
                List<Pending> expired;
                lock.lock();
                try {
                    while (!closed && active.isEmpty() && queue.isEmpty()) {
                        work.await();
                    }
                    if (closed) {
                        return;
                    }
                    long now = nanoClock.getAsLong();
                    expired = queue.removeIf(p -> p.token().isStopped() || p.token().isPastDeadline(now));
                    admit(admitted);
                } finally {
                    lock.unlock();
                }
                for (Pending p : expired) {
                    p.token().expire(); // no-op when already stopped; otherwise it was past its deadline
                    AssistantException why = p.token().reason();
                    p.ticket.result.completeExceptionally(why);
                    p.followers.forEach(f -> f.ticket.result.completeExceptionally(why)); // they queued as one
                }
                for (Pending p : admitted) {
                    start(p);
                }
                reap();
                if (!active.isEmpty()) {
                    step();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("the batching engine stopped unexpectedly", e);
        } finally {
            shutDown();
        }
    }

    /** Moves queued requests into the batch while places and memory allow. Holds the lock. */
    private void admit(List<Pending> admitted) {
        while (!queue.isEmpty() && activeCount < settings.maxBatch()) {
            Pending next = queue.peek();
            int longest = Math.max(longestActiveCapacity, next.capacity);
            int group = 1 + next.followers.size();
            long need = reservedKvBytes + next.groupKvBytes() + model.activationBytes(activeCount + group, longest);
            makeRoom(need);
            if (activeCount > 0 && need > settings.memoryBudgetBytes()) {
                break; // waits for memory to be freed by requests that finish; fits alone (checked at submit)
            }
            queue.poll();
            activeCount += group;
            reservedKvBytes += next.groupKvBytes();
            longestActiveCapacity = longest;
            admitted.add(next);
        }
    }

    /** Evicts cached prefixes until {@code need} bytes plus the cache fit the memory budget. */
    private void makeRoom(long need) {
        while (need + prefixCache.bytes() > settings.memoryBudgetBytes() && prefixCache.evictOldest()) {
            // the least recently used prefix goes first
        }
    }

    private void start(Pending p) {
        warmUpSamplingFor(p.job.request().sampling());
        Slot slot = open(p, null);
        if (slot == null) {
            p.followers.forEach(this::start); // they evaluate the prompt themselves
            return;
        }
        slot.followers = p.followers;
        try {
            p.job.onAdmitted().accept(queueDepth());
        } catch (RuntimeException e) {
            LOG.warn("an admission callback failed", e);
        }
    }

    /**
     * Starts compiling the vector sampling path in the background the first time a request draws from the whole
     * vocabulary: draws use the scalar path (same bits) until it is warm, so no request waits for it, and greedy or
     * top-k/top-p runs (a one-shot CLI call) never pay for it (on the engine thread before the first step it cost a
     * one-shot CLI run 0.4-0.7 s; on a thread of its own from the start, 0.1-0.4 s). Engine thread only.
     */
    private void warmUpSamplingFor(SamplingParams sampling) {
        if (samplingWarmUp == null && Sampler.drawsFromWholeVocabulary(sampling) && ExpSums.needsWarmUp()) {
            Thread warmUp = threads.newThread(() -> ExpSums.warmUp(SAMPLING_WARM_UP));
            samplingWarmUp = warmUp;
            warmUp.start();
        }
    }

    /**
     * Puts {@code p} in the batch with a new sequence, or with {@code forked} (a copy of a prompt already
     * evaluated); null when no sequence could be had (the ticket is then failed).
     */
    private Slot open(Pending p, Sequence forked) {
        Sequence sequence;
        int cached = 0;
        if (forked != null) {
            sequence = forked;
        } else {
            try {
                Optional<PrefixCache.Hit> hit = prefixCache.lookup(p.job.request().promptIds(), p.capacity);
                if (hit.isPresent()) {
                    sequence = hit.get().sequence();
                    cached = hit.get().tokens();
                } else {
                    sequence = model.newSequence(p.capacity);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                release(p);
                p.ticket.result.completeExceptionally(e instanceof AssistantException ae ? ae
                        : new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot allocate the KV cache: " + e.getMessage(), e));
                return null;
            }
        }
        Decoding decoding = new Decoding(p.job.request(), model.contextLength(), p.job.stream(), p.job.listener(),
                p.job.random());
        decoding.started(nanoClock.getAsLong());
        decoding.cachedPromptTokens(cached);
        Slot slot = new Slot(p, decoding, sequence);
        slot.fed = cached;
        if (forked != null) {
            slot.fed = decoding.prompt().length;
        }
        active.add(slot);
        return slot;
    }

    /**
     * The prompt of {@code slot} is evaluated: its followers continue from copies of its cache and take their first
     * token from the same logits. Followers whose copy fails (or a backend that cannot copy) evaluate the prompt
     * themselves.
     */
    private List<Slot> fork(Slot slot) {
        List<Slot> forked = new ArrayList<>(slot.followers.size());
        for (Pending f : slot.followers) {
            java.util.Optional<Sequence> copy;
            try {
                copy = slot.sequence.fork(f.capacity);
            } catch (RuntimeException | OutOfMemoryError e) {
                LOG.debug("copying a KV cache for another choice failed ({}); it evaluates the prompt itself", e.toString());
                copy = java.util.Optional.empty();
            }
            if (copy.isPresent()) {
                forked.add(open(f, copy.get()));
            } else {
                start(f);
            }
        }
        slot.followers = List.of();
        return forked;
    }

    /** Ends requests that were cancelled or ran out of time, freeing their caches before the next step. */
    private void reap() {
        long now = nanoClock.getAsLong();
        for (int i = active.size() - 1; i >= 0; i--) {
            Slot slot = active.get(i);
            CancellationToken token = slot.pending.token();
            if (token.isPastDeadline(now)) {
                token.expire();
            }
            if (token.isStopped()) {
                fail(i, token.reason());
            }
        }
    }

    private void step() {
        int n = active.size();
        int limit = Math.min(n, batchLimit);
        List<Slot> chosen = new ArrayList<>(limit);
        List<int[]> inputs = new ArrayList<>(limit);
        int prefillLeft = prefillChunk;
        int rows = 0;
        int longest = 0;
        // Rotate the starting point so that, when the batch is limited, every request gets its turn.
        for (int k = 0; k < n && chosen.size() < limit; k++) {
            Slot slot = active.get((rotation + k) % n);
            int[] input;
            if (slot.promptRemaining() > 0) {
                if (prefillLeft <= 0) {
                    continue;
                }
                int take = Math.min(slot.promptRemaining(), prefillLeft);
                prefillLeft -= take;
                input = Arrays.copyOfRange(slot.decoding.prompt(), slot.fed, slot.fed + take);
            } else {
                input = new int[]{slot.decoding.lastToken()};
            }
            chosen.add(slot);
            inputs.add(input);
            rows += input.length;
            longest = Math.max(longest, slot.sequence.length() + input.length);
        }
        if (chosen.isEmpty()) {
            return;
        }
        rotation = (rotation + chosen.size()) % n;
        // Keep activations within what the budget leaves next to the caches: drop requests from the end.
        long kv = reservedKvBytes();
        makeRoom(kv + model.activationBytes(rows, longest));
        kv += prefixCache.bytes();
        while (chosen.size() > 1 && kv + model.activationBytes(rows, longest) > settings.memoryBudgetBytes()) {
            rows -= inputs.remove(inputs.size() - 1).length;
            chosen.remove(chosen.size() - 1);
        }
        List<Sequence> sequences = new ArrayList<>(chosen.size());
        for (Slot slot : chosen) {
            sequences.add(slot.sequence);
        }
        float[][] logits;
        try {
            logits = logitsArrays(chosen.size());
            model.forwardBatchInto(sequences, inputs, logits);
        } catch (RuntimeException | OutOfMemoryError e) {
            stepFailed(chosen, rows, e);
            return;
        }
        stepSucceeded();
        long now = nanoClock.getAsLong();
        for (int i = 0; i < chosen.size(); i++) {
            Slot slot = chosen.get(i);
            boolean prefilling = slot.promptRemaining() > 0;
            if (prefilling) {
                slot.fed += inputs.get(i).length;
                if (slot.promptRemaining() > 0) {
                    continue; // more of the prompt to evaluate before the first token
                }
            }
            List<Slot> takers = new ArrayList<>(1 + slot.followers.size());
            if (prefilling && !slot.followers.isEmpty()) {
                takers.addAll(fork(slot)); // before the head may finish and free its cache
            }
            takers.add(0, slot);
            for (Slot taker : takers) {
                accept(taker, logits[i], now);
            }
        }
    }

    /** The reused logits arrays, at least {@code rows} of them (more are allocated the first time a step needs them). */
    private float[][] logitsArrays(int rows) {
        if (stepLogits.length < rows) {
            float[][] grown = Arrays.copyOf(stepLogits, rows);
            for (int i = stepLogits.length; i < rows; i++) {
                grown[i] = new float[model.config().vocabSize()];
            }
            stepLogits = grown;
        }
        return stepLogits;
    }

    private void accept(Slot slot, float[] logits, long now) {
        boolean done;
        try {
            done = slot.decoding.accept(logits, slot.sequence.length(), now);
        } catch (RuntimeException e) {
            fail(active.indexOf(slot), new AssistantException(ErrorCode.INTERNAL, "decoding failed: " + e, e));
            return;
        }
        if (done) {
            complete(active.indexOf(slot));
        }
    }

    private void stepSucceeded() {
        if (++successes >= GROW_AFTER_STEPS) {
            successes = 0;
            batchLimit = Math.min(settings.maxBatch(), batchLimit * 2);
            prefillChunk = Math.min(settings.prefillChunkTokens(), prefillChunk * 2);
        }
    }

    /**
     * Halves the batch (or, for one request, its prompt chunk) and lets the next iteration retry; a request that
     * fails alone on a single token cannot run and is failed.
     */
    private void stepFailed(List<Slot> chosen, int rows, Throwable e) {
        successes = 0;
        boolean memory = isMemoryFailure(e);
        if (chosen.size() > 1) {
            batchLimit = Math.max(1, chosen.size() / 2);
            LOG.warn("a step of {} requests failed ({}); retrying with at most {}", chosen.size(), e.toString(), batchLimit);
            return;
        }
        if (rows > 1) {
            prefillChunk = Math.max(1, rows / 2);
            LOG.warn("a prompt chunk of {} tokens failed ({}); retrying with {}", rows, e.toString(), prefillChunk);
            return;
        }
        int index = active.indexOf(chosen.get(0));
        if (memory) {
            fail(index, new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "out of memory even as the only request "
                    + "in the step: " + e.getMessage(), e));
        } else if (e instanceof IllegalArgumentException) {
            fail(index, new AssistantException(ErrorCode.INVALID_REQUEST, e.getMessage(), e));
        } else {
            fail(index, new AssistantException(ErrorCode.INTERNAL, "generation failed: " + e, e));
        }
    }

    /** Whether {@code e} (or a cause) says an allocation failed: Java heap, or libtorch's allocator. */
    static boolean isMemoryFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
            if (t instanceof AssistantException ae && ae.code() == ErrorCode.RESOURCE_EXHAUSTED) {
                return true;
            }
            String m = t.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                if (lower.contains("alloc") || lower.contains("out of memory")) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private void complete(int index) {
        Slot slot = active.remove(index);
        drainRate.completed();
        GenerationResult result;
        try {
            result = slot.decoding.result(nanoClock.getAsLong());
        } catch (RuntimeException e) {
            close(slot);
            slot.pending.ticket.result.completeExceptionally(
                    new AssistantException(ErrorCode.INTERNAL, "finishing the answer failed: " + e, e));
            return;
        }
        keepPrefix(slot);
        close(slot);
        makeRoom(reservedKvBytes());
        slot.pending.ticket.result.complete(result);
    }

    /** Offers the finished request's KV cache to the prefix cache (its evaluated prompt and answer tokens). */
    private void keepPrefix(Slot slot) {
        if (!prefixCache.enabled()) {
            return;
        }
        int length = slot.sequence.length();
        int[] tokens = slot.decoding.tokensSoFar();
        if (length <= tokens.length) {
            prefixCache.offer(slot.sequence, Arrays.copyOf(tokens, length));
        }
    }

    private void fail(int index, AssistantException error) {
        Slot slot = active.remove(index);
        drainRate.completed();
        close(slot);
        slot.pending.ticket.result.completeExceptionally(error);
    }

    private void close(Slot slot) {
        try {
            slot.sequence.close();
        } finally {
            release(slot.pending);
        }
        List<Pending> waiting = slot.followers;
        slot.followers = List.of();
        for (Pending f : waiting) {
            if (f.token().isStopped()) {
                release(f);
                f.ticket.result.completeExceptionally(f.token().reason());
            } else if (closed()) {
                release(f);
                f.ticket.result.completeExceptionally(new AssistantException(ErrorCode.ENGINE_UNAVAILABLE,
                        "the engine was closed"));
            } else {
                start(f); // the first choice left before its prompt was evaluated: this one evaluates its own
            }
        }
    }

    private boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private void release(Pending p) {
        lock.lock();
        try {
            activeCount--;
            reservedKvBytes -= p.kvBytes;
            if (activeCount == 0) {
                longestActiveCapacity = 0;
            }
        } finally {
            lock.unlock();
        }
    }

    private void shutDown() {
        List<Pending> queued;
        lock.lock();
        try {
            closed = true;
            queued = queue.removeIf(p -> true);
        } finally {
            lock.unlock();
        }
        AssistantException gone = new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the engine was closed");
        for (Pending p : queued) {
            p.ticket.result.completeExceptionally(gone);
            p.followers.forEach(f -> f.ticket.result.completeExceptionally(gone));
        }
        while (!active.isEmpty()) {
            fail(active.size() - 1, gone);
        }
        prefixCache.close();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }

    /**
     * Stops taking requests, lets the running step finish, and fails every request still queued or running with
     * {@code ENGINE_UNAVAILABLE}. Waits up to 30 s for the engine thread. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
                Thread warmUp = samplingWarmUp; // set by the engine thread only, which has stopped
                if (warmUp != null) {
                    warmUp.interrupt(); // it checks between calls, a few milliseconds apart
                    warmUp.join(TimeUnit.SECONDS.toMillis(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("the batching engine thread did not stop within 30 s");
            }
        }
    }
}
