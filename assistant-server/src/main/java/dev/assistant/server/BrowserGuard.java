package dev.assistant.server;

import dev.assistant.server.openai.ApiError;
import dev.assistant.server.openai.ApiException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Refuses what a web page could make a browser send to a server that has no API keys (where the network position
 * is the only protection): a {@code Host} that is not this machine's (DNS rebinding: a page of
 * {@code evil.example} whose name now resolves to 127.0.0.1) and an {@code Origin} of another site (cross-site
 * requests). Loopback names, the bound address and the configured {@linkplain ServerConfig#allowedHosts() allowed
 * hosts} pass. A server with keys does not need it: a page cannot attach the key.
 */
final class BrowserGuard {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1");

    private final Set<String> allowed;

    BrowserGuard(ServerConfig config) {
        Set<String> hosts = new HashSet<>(LOOPBACK);
        hosts.addAll(config.allowedHosts());
        if (!config.bindsAllInterfaces()) {
            hosts.add(bare(config.host().toLowerCase(Locale.ROOT)));
        }
        this.allowed = Set.copyOf(hosts);
    }

    /**
     * @param host   the {@code Host} header (HTTP/1.1 requires one; Jetty refuses requests without it), may carry a port
     * @param origin the {@code Origin} header, or null when the client sent none (non-browser clients)
     * @throws ApiException 403 {@code host_not_allowed} or {@code origin_not_allowed}
     */
    void check(String host, String origin) {
        if (host == null || !allowed.contains(hostOf(host))) {
            throw new ApiException(forbidden("host_not_allowed", "The Host header names a host this server does not "
                    + "answer for (a server without API keys accepts loopback names and --allowed-host values)."));
        }
        if (origin != null && !allowed.contains(originHost(origin))) {
            throw new ApiException(forbidden("origin_not_allowed",
                    "Cross-origin requests are refused by a server without API keys."));
        }
    }

    /** The host part of a {@code Host} value: {@code [::1]:8000} gives {@code ::1}, {@code a.b:80} gives {@code a.b}. */
    static String hostOf(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? "" : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && colon == h.lastIndexOf(':')) {
            h = h.substring(0, colon);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String originHost(String origin) {
        try {
            URI uri = new URI(origin.strip());
            String host = uri.getHost();
            return host == null ? "" : bare(host.toLowerCase(Locale.ROOT));
        } catch (URISyntaxException e) {
            return ""; // "null" (sandboxed frames, files) and garbage match nothing
        }
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static ApiError forbidden(String code, String message) {
        return new ApiError(403, "invalid_request_error", code, null, message, OptionalLong.empty());
    }
}
