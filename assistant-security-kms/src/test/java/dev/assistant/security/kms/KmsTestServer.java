package dev.assistant.security.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.hsm.Pkcs11Hsm;
import dev.assistant.security.testing.SoftHsm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local server speaking the AWS KMS JSON 1.1 protocol (Encrypt, Decrypt, GenerateDataKey, DescribeKey) for the
 * real SDK client. Its master key lives in SoftHSM (AES-256-GCM in the token); ciphertext blobs are
 * {@code [1][keyId length:2][keyId][iv:12][ciphertext+tag]} and the encryption context is the GCM associated data,
 * so a wrong context fails exactly as with AWS. Errors are KMS error responses ({@code __type} + message).
 */
public final class KmsTestServer implements AutoCloseable {
    public static final String KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
    public static final String ALIAS = "alias/assistant";
    public static final String ACCESS_KEY = "AKIDASSISTANTTEST";
    public static final String SECRET_KEY = "local-test-secret-access-key";
    public static final String REGION = "eu-central-1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Pkcs11Hsm master;
    private final SecureRandom random = new SecureRandom();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();
    private final AtomicInteger decrypts = new AtomicInteger();

    private KmsTestServer(HttpServer server, Pkcs11Hsm master) {
        this.server = server;
        this.master = master;
    }

    /** Starts on a free loopback port with the SoftHSM master key. */
    public static KmsTestServer start() {
        // Without this the JDK server delays each response by ~40-60 ms (Nagle + delayed ACK).
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Pkcs11Hsm master = Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KMS_MASTER));
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            KmsTestServer kms = new KmsTestServer(http, master);
            http.createContext("/", kms::handle);
            http.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "kms-test-server");
                t.setDaemon(true);
                return t;
            }));
            http.start();
            return kms;
        } catch (IOException e) {
            master.close();
            throw new IllegalStateException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Marks a key id as disabled (Decrypt answers DisabledException, DescribeKey shows Disabled). */
    public void disable(String keyId) {
        disabled.add(keyId);
    }

    public int decryptCalls() {
        return decrypts.get();
    }

    /** Stops answering: the port is closed, so clients see connection failures. */
    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        master.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
            if (auth == null || !auth.contains("Credential=" + ACCESS_KEY + "/")) {
                error(exchange, 400, "UnrecognizedClientException", "The security token included in the request is invalid.");
                return;
            }
            String operation = target == null ? "" : target.substring(target.indexOf('.') + 1);
            switch (operation) {
                case "Encrypt" -> encrypt(exchange, request);
                case "Decrypt" -> decrypt(exchange, request);
                case "GenerateDataKey" -> generateDataKey(exchange, request);
                case "DescribeKey" -> describeKey(exchange, request);
                default -> error(exchange, 400, "UnsupportedOperationException", "unsupported: " + target);
            }
        } catch (RuntimeException e) {
            error(exchange, 500, "KMSInternalException", "internal error: " + e.getClass().getSimpleName());
        }
    }

    private String resolveKey(HttpExchange exchange, String keyId) throws IOException {
        if (keyId == null) {
            error(exchange, 400, "ValidationException", "KeyId is required");
            return null;
        }
        String id = ALIAS.equals(keyId) ? KEY_ID : keyId.replaceFirst("^arn:aws:kms:[^:]+:[0-9]+:key/", "");
        if (!KEY_ID.equals(id) && !disabled.contains(id)) {
            error(exchange, 400, "NotFoundException", "Key '" + keyId + "' does not exist");
            return null;
        }
        if (disabled.contains(id)) {
            error(exchange, 400, "DisabledException", "Key " + id + " is disabled.");
            return null;
        }
        return id;
    }

    private void encrypt(HttpExchange exchange, JsonNode request) throws IOException {
        String keyId = resolveKey(exchange, text(request, "KeyId"));
        if (keyId == null) {
            return;
        }
        byte[] plaintext = Base64.getDecoder().decode(text(request, "Plaintext"));
        ObjectNode response = JSON.createObjectNode();
        response.put("CiphertextBlob", Base64.getEncoder().encodeToString(seal(keyId, plaintext, request)));
        response.put("KeyId", arn(keyId));
        response.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        ok(exchange, response);
    }

    private void generateDataKey(HttpExchange exchange, JsonNode request) throws IOException {
        String keyId = resolveKey(exchange, text(request, "KeyId"));
        if (keyId == null) {
            return;
        }
        int bytes = request.has("NumberOfBytes") ? request.get("NumberOfBytes").intValue()
                : "AES_128".equals(text(request, "KeySpec")) ? 16 : 32;
        byte[] dataKey = new byte[bytes];
        random.nextBytes(dataKey);
        ObjectNode response = JSON.createObjectNode();
        response.put("CiphertextBlob", Base64.getEncoder().encodeToString(seal(keyId, dataKey, request)));
        response.put("Plaintext", Base64.getEncoder().encodeToString(dataKey));
        response.put("KeyId", arn(keyId));
        ok(exchange, response);
    }

    private void decrypt(HttpExchange exchange, JsonNode request) throws IOException {
        decrypts.incrementAndGet();
        ByteBuffer blob = ByteBuffer.wrap(Base64.getDecoder().decode(text(request, "CiphertextBlob")));
        String blobKey;
        byte[] iv = new byte[12];
        byte[] ct;
        try {
            if (blob.get() != 1) {
                throw new IllegalArgumentException();
            }
            byte[] id = new byte[blob.getShort()];
            blob.get(id);
            blobKey = new String(id, StandardCharsets.UTF_8);
            blob.get(iv);
            ct = new byte[blob.remaining()];
            blob.get(ct);
        } catch (RuntimeException e) {
            error(exchange, 400, "InvalidCiphertextException", "The ciphertext is invalid.");
            return;
        }
        String requested = text(request, "KeyId");
        if (requested != null) {
            String keyId = resolveKey(exchange, requested);
            if (keyId == null) {
                return;
            }
            if (!keyId.equals(blobKey)) {
                error(exchange, 400, "IncorrectKeyException", "The key ID in the request does not identify the key that encrypted the ciphertext.");
                return;
            }
        } else if (resolveKey(exchange, blobKey) == null) {
            return;
        }
        byte[] plaintext;
        try {
            plaintext = master.decrypt(iv, context(request), ct);
        } catch (KeyProviderException e) {
            error(exchange, 400, "InvalidCiphertextException", "The ciphertext or encryption context is invalid.");
            return;
        }
        ObjectNode response = JSON.createObjectNode();
        response.put("KeyId", arn(blobKey));
        response.put("Plaintext", Base64.getEncoder().encodeToString(plaintext));
        response.put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        ok(exchange, response);
    }

    private void describeKey(HttpExchange exchange, JsonNode request) throws IOException {
        String requested = text(request, "KeyId");
        String id = ALIAS.equals(requested) ? KEY_ID : requested;
        if (!KEY_ID.equals(id) && !disabled.contains(id)) {
            error(exchange, 400, "NotFoundException", "Key '" + requested + "' does not exist");
            return;
        }
        boolean enabled = !disabled.contains(id);
        ObjectNode metadata = JSON.createObjectNode();
        metadata.put("KeyId", id);
        metadata.put("Arn", arn(id));
        metadata.put("Enabled", enabled);
        metadata.put("KeyState", enabled ? "Enabled" : "Disabled");
        metadata.put("KeyUsage", "ENCRYPT_DECRYPT");
        metadata.put("KeySpec", "SYMMETRIC_DEFAULT");
        metadata.put("Origin", "EXTERNAL_KEY_STORE");
        ObjectNode response = JSON.createObjectNode();
        response.set("KeyMetadata", metadata);
        ok(exchange, response);
    }

    private byte[] seal(String keyId, byte[] plaintext, JsonNode request) {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        byte[] ct = master.encrypt(iv, context(request), plaintext);
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 2 + id.length + 12 + ct.length).put((byte) 1).putShort((short) id.length)
                .put(id).put(iv).put(ct).array();
    }

    /** The encryption context as canonical associated data (sorted, NUL-separated). */
    private static byte[] context(JsonNode request) {
        Map<String, String> sorted = new TreeMap<>();
        JsonNode ctx = request.get("EncryptionContext");
        if (ctx != null) {
            ctx.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().textValue()));
        }
        StringBuilder sb = new StringBuilder("kms-test-v1");
        sorted.forEach((k, v) -> sb.append('\0').append(k).append('\0').append(v));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String arn(String keyId) {
        return "arn:aws:kms:" + REGION + ":111122223333:key/" + keyId;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.textValue();
    }

    private static void ok(HttpExchange exchange, JsonNode body) throws IOException {
        send(exchange, 200, body.toString());
    }

    private static void error(HttpExchange exchange, int status, String type, String message) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("__type", type);
        body.put("message", message);
        send(exchange, status, body.toString());
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
