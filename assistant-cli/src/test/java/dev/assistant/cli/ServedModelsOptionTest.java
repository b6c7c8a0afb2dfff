package dev.assistant.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServedModelsOptionTest {
    @TempDir
    Path temp;

    @Test
    void serveTakesSeveralNamedModelsAndBarePathsAreNamedByTheirDirectory() throws Exception {
        Path general = Files.createDirectories(temp.resolve("general-v3"));
        Path code = Files.createDirectories(temp.resolve("code"));
        Path withEquals = Files.createDirectories(temp.resolve("a=b"));
        ModelOptions options = parse("--model", "general=" + general, "--model", code.toString(),
                "--model", withEquals.toString());
        assertThat(options.named(null, err())).containsExactly(
                new ModelOptions.Named("general", general),
                new ModelOptions.Named("code", code),
                new ModelOptions.Named("a=b", withEquals)); // an existing path is a path, even with '='
    }

    @Test
    void oneBarePathTakesTheModelNameOption() {
        Path dir = temp.resolve("SmolLM2");
        ModelOptions options = parse("--model", dir.toString());
        assertThat(options.named("smollm", err())).containsExactly(new ModelOptions.Named("smollm", dir));
    }

    @Test
    void commandsThatRunOneModelRefuseSeveral() {
        ModelOptions options = parse("--model", "a", "--model", "b");
        assertThatThrownBy(() -> options.resolve(err())).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("runs one model");
    }

    @Test
    void doctorChecksThatSeveralModelsFitTogether() {
        Path llama = AssistantCliTest.shared("stories260K");
        Path gpt2 = AssistantCliTest.shared("tinystories-gpt2-mini");
        StringWriter out = new StringWriter();
        int code = new CommandLine(new DoctorCommand()).setOut(new PrintWriter(out))
                .execute("--model", llama.toString(), "--model", gpt2.toString());
        assertThat(code).isZero();
        assertThat(out.toString()).contains("model " + llama + ": about 1.0 MiB of weights with --dtype f32")
                .contains("models together:").contains("they fit");
        // q4: stories260K's linear layers whose rows are whole 32-groups, its table and head as Q4_0 blocks
        StringWriter q4 = new StringWriter();
        assertThat(new CommandLine(new DoctorCommand()).setOut(new PrintWriter(q4))
                .execute("--model", llama.toString(), "--model", llama.toString(), "--dtype", "q4")).isZero();
        assertThat(q4.toString()).contains("model " + llama + ": about 0.3 MiB of weights with --dtype q4");
    }

    private static ModelOptions parse(String... args) {
        ModelOptions options = new ModelOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    private static PrintWriter err() {
        return new PrintWriter(new StringWriter());
    }
}
