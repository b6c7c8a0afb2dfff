package dev.assistant.cli;

import dev.assistant.core.Assistant;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.Completion;
import dev.assistant.core.generation.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code assistant chat}: an interactive chat that streams the answer as it is generated. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat interactively (type /exit to quit). Without --model, runs the random-weights demo model.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--system", description = "system message")
    String system;

    @Option(names = {"-m", "--message"}, description = "send this one message, print the streamed answer and exit")
    String message;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.7", description = "0 means greedy; default: ${DEFAULT-VALUE}")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "default: ${DEFAULT-VALUE}")
    double topP;

    @Option(names = "--seed", description = "sampler seed")
    Long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ChatMessage> history = new ArrayList<>();
        if (system != null) {
            history.add(ChatMessage.system(system));
        }
        try (Assistant assistant = model.open(err)) {
            err.printf("Loaded %s (%s, %s on the %s engine, %d MB of weights) in %d ms.%n", assistant.modelInfo().name(),
                    assistant.modelInfo().architecture(), assistant.modelInfo().computeType(), assistant.modelInfo().engine(),
                    assistant.modelInfo().weightBytes() >> 20, assistant.modelInfo().loadNanos() / 1_000_000);
            if (message != null) {
                turn(assistant, history, message, out, err);
                return 0;
            }
            err.println("Type a message and press Enter; /exit quits.");
            err.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    return 0;
                }
                if (!line.isBlank()) {
                    turn(assistant, history, line, out, err);
                }
            }
        }
    }

    private void turn(Assistant assistant, List<ChatMessage> history, String text, PrintWriter out, PrintWriter err)
            throws Exception {
        history.add(ChatMessage.user(text));
        SamplingParams.Builder sampling = SamplingParams.builder().temperature(temperature).topP(topP);
        if (seed != null) {
            sampling.seed(seed);
        }
        ChatRequest request = ChatRequest.builder().messages(history).maxNewTokens(maxNewTokens)
                .sampling(sampling.build()).build();
        Completion c = assistant.chatStream(request, delta -> {
            out.print(delta);
            out.flush();
        }).get();
        out.println();
        err.println(GenerateCommand.describe(c.usage()));
        err.flush();
        history.add(ChatMessage.assistant(c.text()));
    }
}
