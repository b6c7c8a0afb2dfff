package dev.assistant.cli;

import picocli.CommandLine.Command;

/**
 * {@code assistant keys}: operator tools for the security configuration (see the assistant-security README,
 * "Configuration file"). No subcommand takes a secret as an argument (arguments end up in shell history and
 * process listings): secrets are read from stdin, from the environment, or from the configured key provider.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Check key providers, hash and generate API keys, seal secrets for the HSM.",
        subcommands = {KeysCheckCommand.class, KeysHashCommand.class, KeysSealCommand.class,
                KeysGenerateCommand.class})
final class KeysCommand {
}
