package dev.assistant.metrics.channel;

import dev.assistant.api.Secret;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.notify.WebhookFormat;
import dev.assistant.metrics.route.AlertChannel;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.CredentialSource;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * POSTs the event to a webhook in a {@link WebhookFormat} ({@code GENERIC_JSON}, or {@code WECOM_MARKDOWN} for a
 * WeCom group robot), synchronously, as a routed channel. A WeCom robot's key is a credential: configure it as a
 * key id ({@link Builder#keyParameter}) and the channel appends {@code ?key=<secret>} per delivery, so the key is
 * never in configuration files, logs or this object's {@code toString()}.
 */
public final class WebhookChannel implements AlertChannel {
    private final String name;
    private final URI uri;
    private final String safeUri;
    private final WebhookFormat format;
    private final String keyParameter;
    private final String keyId;
    private final CredentialSource credentials;
    private final Duration requestTimeout;
    private final HttpExchange http;

    private WebhookChannel(Builder b) {
        this.name = b.name;
        this.uri = b.uri;
        this.safeUri = b.uri.getScheme() + "://" + b.uri.getRawAuthority() + Objects.toString(b.uri.getRawPath(), "");
        this.format = b.format;
        this.keyParameter = b.keyParameter;
        this.keyId = b.keyId;
        this.credentials = b.credentials;
        if (keyId != null && credentials == null) {
            throw new IllegalStateException("channel " + name + ": a key parameter needs a credential source");
        }
        this.requestTimeout = b.requestTimeout;
        this.http = new HttpExchange(b.connectTimeout);
    }

    /** A channel called {@code name} posting to {@code uri} (http or https, no query when a key is configured). */
    public static Builder builder(String name, URI uri) {
        return new Builder(name, uri);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void deliver(AlertEvent event) throws ChannelException {
        HttpRequest request = HttpRequest.newBuilder(target())
                .timeout(requestTimeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(format.body(event), StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response = http.send(request);
        WebhookFormat.Outcome outcome = format.judge(response.statusCode(), response.body());
        if (outcome != WebhookFormat.Outcome.DELIVERED) {
            throw new ChannelException("webhook " + safeUri + " answered HTTP " + response.statusCode()
                    + (outcome == WebhookFormat.Outcome.RETRY ? " (busy)" : " (rejected)"),
                    outcome == WebhookFormat.Outcome.RETRY);
        }
    }

    private URI target() {
        if (keyId == null) {
            return uri;
        }
        try (Secret key = credentials.secret(keyId)) {
            char[] chars = key.chars();
            try {
                String value = URLEncoder.encode(new String(chars), StandardCharsets.UTF_8);
                String query = uri.getRawQuery() == null ? "" : uri.getRawQuery() + "&";
                return URI.create(safeUri + "?" + query + keyParameter + "=" + value);
            } finally {
                Arrays.fill(chars, '\0');
            }
        }
    }

    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "WebhookChannel[" + name + ", " + safeUri + ", " + format + "]";
    }

    /** Configures a {@link WebhookChannel}. */
    public static final class Builder {
        private final String name;
        private final URI uri;
        private WebhookFormat format = WebhookFormat.GENERIC_JSON;
        private String keyParameter;
        private String keyId;
        private CredentialSource credentials;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration requestTimeout = Duration.ofSeconds(5);

        private Builder(String name, URI uri) {
            this.name = Objects.requireNonNull(name, "name");
            Objects.requireNonNull(uri, "uri");
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("channel " + name + ": webhook URL must be http(s)://host/...");
            }
            this.uri = uri;
        }

        /** Body format (default {@link WebhookFormat#GENERIC_JSON}). */
        public Builder format(WebhookFormat value) {
            this.format = Objects.requireNonNull(value, "format");
            return this;
        }

        /** Appends query parameter {@code parameter} with the secret stored under {@code keyId} to every call. */
        public Builder keyParameter(String parameter, String keyId, CredentialSource credentials) {
            this.keyParameter = Objects.requireNonNull(parameter, "parameter");
            this.keyId = Objects.requireNonNull(keyId, "keyId");
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** Connect and whole-request timeouts (default 3 s and 5 s). */
        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = Objects.requireNonNull(connect, "connect");
            this.requestTimeout = Objects.requireNonNull(request, "request");
            return this;
        }

        public WebhookChannel build() {
            return new WebhookChannel(this);
        }
    }
}
