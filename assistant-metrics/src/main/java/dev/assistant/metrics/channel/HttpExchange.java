package dev.assistant.metrics.channel;

import dev.assistant.metrics.route.ChannelException;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP call every HTTP channel makes: one JDK {@link HttpClient} per channel (no redirects followed: a
 * provider that redirects would get the credentials twice), failures turned into {@link ChannelException}s whose
 * message names the kind of failure only.
 */
public final class HttpExchange {
    private final HttpClient client;

    public HttpExchange(Duration connectTimeout) {
        this.client = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Sends {@code request} and returns the response; I/O failures and interruption become channel failures. */
    public HttpResponse<String> send(HttpRequest request) throws ChannelException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new ChannelException("timed out", true);
        } catch (IOException e) {
            throw new ChannelException("I/O error " + e.getClass().getSimpleName(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChannelException("interrupted", true);
        }
    }

    /** A channel failure for a non-2xx status: 408, 429 and 5xx are transient. */
    public static ChannelException statusFailure(int status) {
        return new ChannelException("HTTP " + status, status == 408 || status == 429 || status >= 500);
    }

    /**
     * Releases the client. On Java 17 an {@link HttpClient} cannot be closed: its selector thread is a daemon that
     * ends once the client is unreachable, which dropping the channel achieves. (Java 21 adds {@code close()}.)
     */
    public void close() {
    }
}
