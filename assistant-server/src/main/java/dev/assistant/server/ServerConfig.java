package dev.assistant.server;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.time.Duration;
import java.util.Objects;

/**
 * How the OpenAI-compatible server listens and protects itself. Immutable; every value is validated by the
 * {@link Builder} so that a bad configuration fails at start-up, not under load.
 *
 * @param host              bind address; default {@code 127.0.0.1} (loopback only). Binding all interfaces
 *                          ({@code 0.0.0.0} or {@code ::}) must be asked for explicitly
 * @param port              TCP port; default 8000; 0 picks a free port (see {@link OpenAiServer#port()})
 * @param maxRequestBytes   largest request body accepted; larger bodies get 413 (default 1 MiB)
 * @param idleTimeout       how long a connection may stay silent (a client trickling its body, or not reading
 *                          a stream) before it is dropped (default 30 s)
 * @param requestTimeout    the longest one completion may take, queueing included, unless the assistant's own
 *                          default is shorter (default 5 min); exceeded requests get 504
 * @param shutdownGrace     how long {@link OpenAiServer#close()} lets in-flight requests finish (default 30 s)
 * @param maxThreads        HTTP worker threads; each in-flight completion holds one while it waits for tokens
 *                          (default 200)
 */
public record ServerConfig(String host, int port, int maxRequestBytes, Duration idleTimeout, Duration requestTimeout,
                           Duration shutdownGrace, int maxThreads) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8000;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw invalid("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw invalid("port must be 0 to 65535, was " + port);
        }
        if (maxRequestBytes < 1024) {
            throw invalid("maxRequestBytes must be at least 1024, was " + maxRequestBytes);
        }
        positive(idleTimeout, "idleTimeout");
        positive(requestTimeout, "requestTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (shutdownGrace.isNegative()) {
            throw invalid("shutdownGrace must not be negative, was " + shutdownGrace);
        }
        if (maxThreads < 8 || maxThreads > 10_000) {
            throw invalid("maxThreads must be 8 to 10000, was " + maxThreads);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The defaults: loopback, port 8000. */
    public static ServerConfig defaults() {
        return builder().build();
    }

    /** Whether the server listens on every interface rather than one address. */
    public boolean bindsAllInterfaces() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw invalid(name + " must be positive, was " + d);
        }
    }

    private static AssistantException invalid(String message) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, "server configuration: " + message);
    }

    /** Builds a {@link ServerConfig}; unset values take the documented defaults. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxRequestBytes = 1 << 20;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofMinutes(5);
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private int maxThreads = 200;

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder maxRequestBytes(int bytes) {
            this.maxRequestBytes = bytes;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = grace;
            return this;
        }

        public Builder maxThreads(int threads) {
            this.maxThreads = threads;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(host, port, maxRequestBytes, idleTimeout, requestTimeout, shutdownGrace, maxThreads);
        }
    }
}
