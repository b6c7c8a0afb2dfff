package dev.assistant.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.security.config.ApiKeyRecordsJson;
import dev.assistant.security.config.SecurityConfig;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code assistant keys generate}: prints a fresh random API key ({@code ak_} + 32 random bytes) on the first line
 * of stdout and its key record (JSON) after it. With a configuration that names a pepper, the record carries the
 * keyed hash and is ready to add to {@code keys}; without one its {@code hash} is a placeholder that loading
 * rejects until it is replaced by the output of {@code assistant keys hash}. The key is shown once; it is stored
 * nowhere.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Print a new random API key and its key record skeleton.")
final class KeysGenerateCommand implements Callable<Integer> {
    static final String HASH_PLACEHOLDER = "<output of: assistant keys hash --config FILE>";

    @Spec
    CommandSpec spec;

    @Mixin
    ProviderOptions provider;

    @Option(names = "--key-id", required = true, paramLabel = "KEY_ID", description = "id of the new key")
    String keyId;

    @Option(names = "--principal", required = true, paramLabel = "NAME", description = "the caller the key is for")
    String principal;

    @Option(names = "--group", paramLabel = "GROUP", description = "group of the key (repeatable)")
    List<String> groups = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "POLICY", description = "policy attached to the key (repeatable)")
    List<String> policies = new ArrayList<>();

    @Option(names = "--expires-at", paramLabel = "INSTANT", description = "expiry (ISO-8601) for temporary keys")
    Instant expiresAt;

    @Override
    public Integer call() {
        Optional<SecurityConfig> config = provider.load(spec);
        Environment environment = provider.environment(config, spec);
        Instant issuedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ApiKeyHasher hasher = config.flatMap(SecurityConfig::pepper).isPresent()
                ? KeysHashCommand.hasher(spec, provider, null) : null;
        char[] key = ApiKeys.generate(new SecureRandom());
        try {
            ObjectNode record;
            try {
                ApiKeyRecord.Builder builder = ApiKeyRecord.builder().keyId(keyId).principal(principal)
                        .hash(hasher == null ? new byte[ApiKeyHasher.HASH_BYTES] : hasher.hash(key))
                        .environment(environment).issuedAt(issuedAt).groups(new LinkedHashSet<>(groups))
                        .policies(policies);
                if (expiresAt != null) {
                    builder.expiresAt(expiresAt);
                }
                record = ApiKeyRecordsJson.toNode(builder.build());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            if (hasher == null) {
                record.put("hash", HASH_PLACEHOLDER);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(key);
            out.println(record.toPrettyString());
            out.flush();
            PrintWriter err = spec.commandLine().getErr();
            err.println("The first line is the new API key: give it to " + principal
                    + " over a secure channel; it is not stored anywhere.");
            err.println(hasher == null
                    ? "Then pipe it into 'assistant keys hash --config FILE' and put the output in the record's hash."
                    : "Add the record to the keys of the security configuration.");
            err.flush();
        } finally {
            Arrays.fill(key, '\0');
        }
        return 0;
    }
}
