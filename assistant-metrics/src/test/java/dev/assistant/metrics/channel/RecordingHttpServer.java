package dev.assistant.metrics.channel;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/** A real HTTP server on 127.0.0.1 (ephemeral port) that records every request and answers as scripted. */
public final class RecordingHttpServer implements AutoCloseable {
    /** One request as the server saw it. */
    public record Request(String method, String path, String rawQuery, Map<String, List<String>> headers,
                          String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    public final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final Deque<int[]> statuses = new ArrayDeque<>();
    private final Deque<String> bodies = new ArrayDeque<>();
    private final HttpServer server;
    private final ExecutorService executor;
    private final String defaultBody;

    public RecordingHttpServer(String defaultBody) throws IOException {
        this.defaultBody = defaultBody;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "recording-http-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getRawQuery(), Map.copyOf(exchange.getRequestHeaders()), body));
            int status;
            String answer;
            synchronized (statuses) {
                int[] s = statuses.poll();
                status = s == null ? 200 : s[0];
                String b = bodies.poll();
                answer = b == null ? defaultBody : b;
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    /** The next request is answered with {@code status} and {@code body}. */
    public RecordingHttpServer answerNext(int status, String body) {
        synchronized (statuses) {
            statuses.add(new int[]{status});
            bodies.add(body);
        }
        return this;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
