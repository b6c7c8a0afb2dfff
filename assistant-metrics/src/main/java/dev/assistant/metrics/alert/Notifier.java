package dev.assistant.metrics.alert;

/**
 * Delivers {@link AlertEvent}s to people: a log, a chat-robot webhook, mail, SMS, a phone call. The notifier SPI.
 *
 * <p>Contract: {@link #send} is called from the alert engine's evaluation thread and must return quickly; a
 * notifier that talks to the network hands the event to its own executor (see
 * {@code dev.assistant.metrics.notify.WebhookNotifier}) and never blocks the caller for the delivery. It should not
 * throw; the engine catches and logs anything it does throw and keeps notifying the others. Notifiers that own
 * threads release them in {@link #close}.
 */
public interface Notifier extends AutoCloseable {
    /** Delivers (or queues for delivery) one event. */
    void send(AlertEvent event);

    /** Releases threads and connections; events still queued may be dropped. Default: nothing to release. */
    @Override
    default void close() {
    }
}
