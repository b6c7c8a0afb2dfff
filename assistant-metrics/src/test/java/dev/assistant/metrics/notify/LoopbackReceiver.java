package dev.assistant.metrics.notify;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real HTTP receiver on 127.0.0.1 with scripted answers; records every request it gets. */
final class LoopbackReceiver implements AutoCloseable {
    record Received(String method, String path, String query, String contentType, String body) {
    }

    record Answer(int status, String body) {
    }

    static {
        // The JDK server otherwise delays small responses by ~40-60 ms (Nagle).
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final Deque<Answer> script = new ArrayDeque<>();
    private final HttpServer server;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    LoopbackReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "loopback-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getQuery(), exchange.getRequestHeaders().getFirst("Content-Type"),
                    body));
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Answer answer;
            synchronized (script) {
                answer = script.isEmpty() ? new Answer(200, "{\"errcode\":0,\"errmsg\":\"ok\"}") : script.poll();
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    /** The next requests get these answers, in order; afterwards 200 with WeCom's "ok". */
    void answer(Answer... answers) {
        synchronized (script) {
            script.addAll(java.util.List.of(answers));
        }
    }

    /** Holds every response until {@link #open()}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void open() {
        gate.countDown();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
    }

    Received next() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("the receiver got no request within 10 s");
        }
        return r;
    }

    @Override
    public void close() {
        open();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
