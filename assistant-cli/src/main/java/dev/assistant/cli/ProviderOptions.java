package dev.assistant.cli;

import dev.assistant.api.security.Environment;
import dev.assistant.security.config.SecurityConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where the {@code keys} commands find the key provider: a security configuration file ({@code --config}), or
 * provider settings given as options ({@code --setting provider=pkcs11 --setting pkcs11.keyLabel=...}) with
 * {@code --environment}. Settings name secrets (variables, labels, directories); they never are secrets.
 */
final class ProviderOptions {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "security configuration file (JSON)")
    Path config;

    @Option(names = {"-s", "--setting"}, paramLabel = "KEY=VALUE",
            description = "key provider setting as KeyProviders takes it, e.g. provider=pkcs11 (instead of --config)")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = {"-e", "--environment"}, paramLabel = "ENV",
            description = "dev, test or prod (default: the configuration's environment)")
    String environment;

    /** The parsed configuration file, if one was given; settings options then may not be used. */
    Optional<SecurityConfig> load(CommandSpec spec) {
        if (config == null) {
            return Optional.empty();
        }
        if (!settings.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "use either --config or --setting, not both");
        }
        return Optional.of(SecurityConfig.read(config));
    }

    /** The key provider settings from the file or the options. */
    Map<String, String> providerSettings(Optional<SecurityConfig> loaded) {
        return loaded.map(SecurityConfig::keyProviderSettings).orElseGet(() -> Map.copyOf(settings));
    }

    /** The environment from the option, else the file; required. */
    Environment environment(Optional<SecurityConfig> loaded, CommandSpec spec) {
        if (environment != null) {
            try {
                return Environment.parse(environment);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        return loaded.map(SecurityConfig::environment).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "--environment is required without --config"));
    }
}
