package dev.assistant.metrics.channel.phone;

import dev.assistant.api.Secret;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Alibaba Cloud's RPC-style request signature, version 1.0 (used by SMS {@code dysmsapi} and Voice
 * {@code dyvmsapi}): sort every parameter but {@code Signature} by name, percent-encode names and values per RFC
 * 3986 (space as {@code %20}, {@code *} as {@code %2A}, {@code ~} kept), join as {@code k=v&...}; the string to
 * sign is {@code METHOD&%2F&percentEncode(that)}; the signature is Base64(HMAC-SHA1(key = AccessKeySecret + "&")).
 */
final class AliyunRpcSigner {
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private AliyunRpcSigner() {
    }

    /** The common parameters of an RPC call, to which the caller adds the action's own. */
    static SortedMap<String, String> commonParameters(String action, String version, String accessKeyId,
                                                      String regionId, Instant now, String nonce) {
        SortedMap<String, String> p = new TreeMap<>();
        p.put("AccessKeyId", accessKeyId);
        p.put("Action", action);
        p.put("Format", "JSON");
        p.put("RegionId", regionId);
        p.put("SignatureMethod", "HMAC-SHA1");
        p.put("SignatureNonce", nonce);
        p.put("SignatureVersion", "1.0");
        p.put("Timestamp", TIMESTAMP.format(now));
        p.put("Version", version);
        return p;
    }

    /** {@code parameters} plus their {@code Signature}, as an {@code application/x-www-form-urlencoded} body. */
    static String signedForm(String method, SortedMap<String, String> parameters, Secret accessKeySecret) {
        String canonical = canonicalQuery(parameters);
        String stringToSign = method + "&" + percentEncode("/") + "&" + percentEncode(canonical);
        return canonical + "&Signature=" + percentEncode(hmacSha1(accessKeySecret, stringToSign));
    }

    static String canonicalQuery(Map<String, String> parameters) {
        StringJoiner joined = new StringJoiner("&");
        new TreeMap<>(parameters).forEach((k, v) -> joined.add(percentEncode(k) + "=" + percentEncode(v)));
        return joined.toString();
    }

    static String percentEncode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8)
                .replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static String hmacSha1(Secret secret, String stringToSign) {
        byte[] raw = secret.bytes();
        byte[] key = Arrays.copyOf(raw, raw.length + 1);
        key[raw.length] = '&';
        Arrays.fill(raw, (byte) 0);
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is not available in this JVM", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
