package dev.assistant.cli;

import picocli.CommandLine.Command;

/**
 * {@code assistant alerts}: the alert rules and routes of the alerts configuration (see the assistant-metrics
 * README, "Routes and channels").
 */
@Command(name = "alerts", mixinStandardHelpOptions = true,
        description = "Export the alert rules for Prometheus, send a test alert through a rule's route.",
        subcommands = {AlertsExportCommand.class, AlertsTestCommand.class})
final class AlertsCommand {
}
