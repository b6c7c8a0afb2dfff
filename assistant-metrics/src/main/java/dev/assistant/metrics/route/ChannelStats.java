package dev.assistant.metrics.route;

/**
 * Counters of one channel since the router started.
 *
 * @param delivered   events the provider accepted
 * @param failed      attempts that failed (the router then tried the next channel)
 * @param rateLimited events not attempted because the channel's rate limit was exhausted
 */
public record ChannelStats(long delivered, long failed, long rateLimited) {
}
