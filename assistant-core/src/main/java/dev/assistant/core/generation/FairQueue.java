package dev.assistant.core.generation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A bounded queue that is fair between keys (callers): items of one key leave in order, and keys take turns, so
 * a caller with a hundred queued requests delays another caller's next request by at most one of its own.
 * Not thread-safe: the owner guards it.
 *
 * @param <T> the queued items
 */
final class FairQueue<T> {
    private final Map<String, ArrayDeque<T>> byKey = new LinkedHashMap<>();
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(String key, T item) {
        byKey.computeIfAbsent(Objects.requireNonNull(key), k -> new ArrayDeque<>()).addLast(Objects.requireNonNull(item));
        size++;
    }

    /** The item whose turn it is, without removing it; null when empty. */
    T peek() {
        if (size == 0) {
            return null;
        }
        return byKey.values().iterator().next().peekFirst();
    }

    /** Removes the item whose turn it is; its key moves to the back of the rotation. Null when empty. */
    T poll() {
        if (size == 0) {
            return null;
        }
        Iterator<Map.Entry<String, ArrayDeque<T>>> it = byKey.entrySet().iterator();
        Map.Entry<String, ArrayDeque<T>> first = it.next();
        T item = first.getValue().pollFirst();
        it.remove();
        if (!first.getValue().isEmpty()) {
            byKey.put(first.getKey(), first.getValue()); // re-inserted last: the next key takes its turn
        }
        size--;
        return item;
    }

    /** Removes and returns every item matching {@code test}, keeping the others' order. */
    List<T> removeIf(Predicate<? super T> test) {
        List<T> removed = new ArrayList<>();
        Iterator<ArrayDeque<T>> queues = byKey.values().iterator();
        while (queues.hasNext()) {
            ArrayDeque<T> q = queues.next();
            Iterator<T> items = q.iterator();
            while (items.hasNext()) {
                T item = items.next();
                if (test.test(item)) {
                    items.remove();
                    removed.add(item);
                }
            }
            if (q.isEmpty()) {
                queues.remove();
            }
        }
        size -= removed.size();
        return removed;
    }
}
