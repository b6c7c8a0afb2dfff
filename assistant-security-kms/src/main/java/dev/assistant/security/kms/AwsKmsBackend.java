package dev.assistant.security.kms;

import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.NotFoundException;

/**
 * {@link KmsBackend} over the AWS SDK v2 {@link KmsClient} (synchronous, Apache HttpClient 5). The endpoint and
 * region are configurable, so the same class talks to AWS, to a KMS-compatible service, or to a local test server.
 *
 * <p>Error mapping: {@code NotFoundException} to {@code KEY_NOT_FOUND}; {@code InvalidCiphertextException} and
 * {@code IncorrectKeyException} to {@code DECRYPT_FAILED}; {@code DisabledException} and
 * {@code KMSInvalidStateException} to {@code KEY_DISABLED}; access/signature errors to {@code ACCESS_DENIED};
 * server errors, throttling and connection failures to {@code UNAVAILABLE}; anything else to
 * {@code CONFIGURATION}.
 */
public final class AwsKmsBackend implements KmsBackend {
    private final KmsClient client;

    /** Wraps an existing client (owned by this backend from now on). */
    public AwsKmsBackend(KmsClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "aws-kms";
    }

    @Override
    public byte[] encrypt(String masterKeyId, byte[] plaintext, Map<String, String> context) {
        try {
            return client.encrypt(r -> r.keyId(masterKeyId).plaintext(SdkBytes.fromByteArray(plaintext))
                    .encryptionContext(context)).ciphertextBlob().asByteArray();
        } catch (SdkException e) {
            throw map("Encrypt", masterKeyId, e);
        }
    }

    @Override
    public byte[] decrypt(String masterKeyId, byte[] ciphertext, Map<String, String> context) {
        try {
            DecryptResponse response = client.decrypt(r -> r.keyId(masterKeyId)
                    .ciphertextBlob(SdkBytes.fromByteArrayUnsafe(ciphertext)).encryptionContext(context));
            return response.plaintext().asByteArray();
        } catch (SdkException e) {
            throw map("Decrypt", masterKeyId, e);
        }
    }

    @Override
    public void checkKey(String masterKeyId) {
        DescribeKeyResponse response;
        try {
            response = client.describeKey(r -> r.keyId(masterKeyId));
        } catch (SdkException e) {
            throw map("DescribeKey", masterKeyId, e);
        }
        KeyState state = response.keyMetadata().keyState();
        if (state != KeyState.ENABLED) {
            throw new KeyProviderException(Failure.KEY_DISABLED,
                    "KMS key " + masterKeyId + " is " + response.keyMetadata().keyStateAsString());
        }
    }

    /** Maps SDK errors to typed failures. Messages carry the AWS error code and status, never request data. */
    static KeyProviderException map(String operation, String masterKeyId, SdkException e) {
        String where = "KMS " + operation + " with key " + masterKeyId;
        if (e instanceof SdkClientException) {
            // Connection refused, timeouts, unreadable responses: the KMS is unreachable from here.
            return new KeyProviderException(Failure.UNAVAILABLE, where + " could not reach the service: "
                    + firstLine(e.getMessage()));
        }
        if (!(e instanceof AwsServiceException service)) {
            return new KeyProviderException(Failure.UNAVAILABLE, where + " failed: " + e.getClass().getSimpleName());
        }
        String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
        int status = service.statusCode();
        String detail = where + " failed: " + (code == null ? "error" : code) + " (HTTP " + status + ")";
        Failure failure;
        if (e instanceof NotFoundException) {
            failure = Failure.KEY_NOT_FOUND;
        } else if (e instanceof InvalidCiphertextException || e instanceof IncorrectKeyException) {
            failure = Failure.DECRYPT_FAILED;
        } else if (e instanceof DisabledException || e instanceof KmsInvalidStateException) {
            failure = Failure.KEY_DISABLED;
        } else if (code != null && (code.contains("AccessDenied") || code.contains("UnrecognizedClient")
                || code.contains("InvalidSignature") || code.contains("ExpiredToken"))) {
            failure = Failure.ACCESS_DENIED;
        } else if (status >= 500 || service.isThrottlingException() || (code != null
                && (code.contains("KeyUnavailable") || code.contains("DependencyTimeout")))) {
            failure = Failure.UNAVAILABLE;
        } else {
            failure = Failure.CONFIGURATION;
        }
        return new KeyProviderException(failure, detail);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "AwsKmsBackend[" + client.serviceClientConfiguration().region() + "]";
    }

    /** Builds a {@link KmsClient} with bounded time-outs and retries. */
    public static final class Builder {
        private URI endpoint;
        private Region region = Region.US_EAST_1;
        private AwsCredentialsProvider credentials;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration callTimeout = Duration.ofSeconds(5);
        private int maxAttempts = 3;

        private Builder() {
        }

        /** A non-default endpoint (KMS-compatible service, VPC endpoint, local server). Default: AWS's. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        public Builder region(String region) {
            if (region == null || region.isBlank()) {
                throw new IllegalArgumentException("region must not be blank");
            }
            this.region = Region.of(region);
            return this;
        }

        /** Default: the SDK's default credentials chain (environment, profile, instance role). */
        public Builder credentials(AwsCredentialsProvider credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** Bound on one whole call, retries included. Default 5 s. */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = positive(timeout, "callTimeout");
            return this;
        }

        /** Attempts per call including the first (1 = no retry). Default 3. */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 10) {
                throw new IllegalArgumentException("maxAttempts must be 1..10; was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        public AwsKmsBackend build() {
            KmsClientBuilder builder = KmsClient.builder()
                    .region(region)
                    .credentialsProvider(credentials == null ? DefaultCredentialsProvider.builder().build() : credentials)
                    .httpClientBuilder(Apache5HttpClient.builder()
                            .connectionTimeout(connectTimeout)
                            .socketTimeout(callTimeout))
                    .overrideConfiguration(o -> o
                            .apiCallTimeout(callTimeout)
                            .retryStrategy(b -> b.maxAttempts(maxAttempts)));
            if (endpoint != null) {
                builder.endpointOverride(endpoint);
            }
            return new AwsKmsBackend(builder.build());
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; was " + d);
            }
            return d;
        }
    }
}
