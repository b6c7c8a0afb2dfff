package dev.assistant.cli;

import dev.assistant.api.AssistantException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code assistant} command line. Exit codes: 0 success, 2 usage error, 1 an {@link AssistantException} (its code
 * and message on stderr). Results go to stdout, logs to stderr.
 */
@Command(name = "assistant", mixinStandardHelpOptions = true, versionProvider = AssistantCli.Version.class,
        description = "Run a language model inside the JVM: chat, generate, diagnose the host.",
        subcommands = {ChatCommand.class, GenerateCommand.class, DoctorCommand.class, KeysCommand.class, ServeCommand.class, QuantizeCommand.class,
                AlertsCommand.class, ModelsCommand.class,
                CommandLine.HelpCommand.class})
public final class AssistantCli {

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (for tests and embedding). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new AssistantCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable t = ex;
            while (!(t instanceof AssistantException) && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof AssistantException ae) {
                err.println("error " + ae.code() + " (" + ae.httpStatus() + "): " + ae.getMessage());
            } else {
                err.println("error INTERNAL: " + ex);
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AssistantCli.class.getPackage().getImplementationVersion();
            return new String[]{"assistant " + (v == null ? "(development build)" : v)};
        }
    }
}
