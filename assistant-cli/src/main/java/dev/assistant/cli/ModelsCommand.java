package dev.assistant.cli;

import picocli.CommandLine.Command;

/** {@code assistant models ...}: manage the models of a running {@code assistant serve}. */
@Command(name = "models", mixinStandardHelpOptions = true, subcommands = ModelsReloadCommand.class,
        description = "Manage the models of a running server (assistant serve).")
final class ModelsCommand {
}
