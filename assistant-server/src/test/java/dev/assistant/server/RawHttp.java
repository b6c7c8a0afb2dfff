package dev.assistant.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Bytes on a socket, for what no well-behaved client sends: broken framing, odd methods, duplicate headers. */
final class RawHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RawHttp() {
    }

    /** Sends {@code request} as is and reads until the server closes (send {@code Connection: close}). */
    static Reply exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return Reply.parse(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** A POST of {@code body} (Content-Length framing, connection closed after the answer). */
    static String post(String path, String headers, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    record Reply(int status, String head, String body) {
        static Reply parse(String text) {
            int split = text.indexOf("\r\n\r\n");
            String head = split < 0 ? text : text.substring(0, split);
            String body = split < 0 ? "" : text.substring(split + 4);
            int status = head.startsWith("HTTP/1.1 ") && head.length() >= 12 ? Integer.parseInt(head.substring(9, 12)) : -1;
            return new Reply(status, head, body);
        }

        boolean hasHeader(String name, String valuePrefix) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)
                        && line.substring(colon + 1).strip().toLowerCase().startsWith(valuePrefix.toLowerCase())) {
                    return true;
                }
            }
            return false;
        }

        /** The {@code error} object of an OpenAI error body (the body must be JSON of that shape). */
        JsonNode error() throws IOException {
            if (!hasHeader("Content-Type", "application/json")) {
                throw new AssertionError("not a JSON answer: " + head + "\n" + body);
            }
            JsonNode error = JSON.readTree(body).get("error");
            if (error == null || !error.has("message") || !error.has("type") || !error.has("code") || !error.has("param")) {
                throw new AssertionError("not an OpenAI error body: " + body);
            }
            return error;
        }
    }
}
