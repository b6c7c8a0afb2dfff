package dev.assistant.metrics.route;

import dev.assistant.metrics.alert.AlertEvent;

/**
 * One way to reach people (a WeCom robot, e-mail, SMS, a phone call), used by an {@link AlertRouter} (SPI).
 *
 * <p>Contract: {@link #deliver} blocks until the provider accepted the event or refused it, bounded by the
 * channel's own timeouts, and throws {@link ChannelException} when the event did not get through so the router
 * can fall back to the next channel. It is called from the router's delivery thread, one event at a time.
 * Credentials are resolved per delivery and wiped afterwards; neither they nor anything derived from them may
 * appear in an exception message, a log line or {@link Object#toString()}.
 */
public interface AlertChannel extends AutoCloseable {
    /** The name rules route to, {@code [a-z0-9_-]{1,32}}. */
    String name();

    /** Delivers {@code event} or throws {@link ChannelException} saying, without secrets, why not. */
    void deliver(AlertEvent event) throws ChannelException;

    /** Releases clients; the default has nothing to release. */
    @Override
    default void close() {
    }
}
