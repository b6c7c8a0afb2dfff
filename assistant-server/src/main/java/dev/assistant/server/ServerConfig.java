package dev.assistant.server;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

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
 * @param bodyTimeout       the whole request body must arrive within this time of the request's headers, or the
 *                          request gets 408 and its connection is closed (default 30 s). Bodies are read without
 *                          holding a thread, so slow senders cannot starve other clients meanwhile
 * @param minRequestBytesPerSecond a body arriving slower than this on average is refused with 408 early
 *                          (default 1024; 0 = no minimum, only {@code bodyTimeout})
 * @param allowedHosts      {@code Host} (and {@code Origin}) host names accepted when the server has no API keys,
 *                          beside the loopback names and the bound address: the defence against DNS rebinding
 *                          (default none; lower-case, no port)
 */
public record ServerConfig(String host, int port, int maxRequestBytes, Duration idleTimeout, Duration requestTimeout,
                           Duration shutdownGrace, int maxThreads, Duration bodyTimeout, long minRequestBytesPerSecond,
                           Set<String> allowedHosts) {
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
        positive(bodyTimeout, "bodyTimeout");
        if (minRequestBytesPerSecond < 0) {
            throw invalid("minRequestBytesPerSecond must not be negative, was " + minRequestBytesPerSecond);
        }
        Objects.requireNonNull(allowedHosts, "allowedHosts");
        Set<String> hosts = new LinkedHashSet<>();
        for (String h : allowedHosts) {
            hosts.add(hostName(h));
        }
        allowedHosts = Set.copyOf(hosts);
    }

    /** A {@code Host} name as compared: lower case, without brackets; refused when blank or carrying a port. */
    private static String hostName(String host) {
        if (host == null || host.isBlank()) {
            throw invalid("an allowed host must not be blank");
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        } else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) {
            throw invalid("an allowed host is a name or address without a port, was '" + host + "'");
        }
        if (!h.matches("[a-z0-9.:_-]+")) {
            throw invalid("an allowed host may hold letters, digits, '.', '-', '_' and ':' only, was '" + host + "'");
        }
        return h;
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
        private Duration bodyTimeout = Duration.ofSeconds(30);
        private long minRequestBytesPerSecond = 1024;
        private final Set<String> allowedHosts = new LinkedHashSet<>();

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

        public Builder bodyTimeout(Duration timeout) {
            this.bodyTimeout = timeout;
            return this;
        }

        public Builder minRequestBytesPerSecond(long bytesPerSecond) {
            this.minRequestBytesPerSecond = bytesPerSecond;
            return this;
        }

        /** Accepts {@code host} in {@code Host}/{@code Origin} on a server without keys (repeatable). */
        public Builder allowedHost(String host) {
            this.allowedHosts.add(host);
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(host, port, maxRequestBytes, idleTimeout, requestTimeout, shutdownGrace, maxThreads,
                    bodyTimeout, minRequestBytesPerSecond, allowedHosts);
        }
    }
}
