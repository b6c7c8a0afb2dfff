package dev.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.generation.Usage;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code assistant generate}: continue a prompt. With {@code --json} it prints exactly one JSON object on one line.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Continue a prompt or token ids.")
final class GenerateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", required = true, description = "text, tokenized as the model's tokenizer does by default")
        String prompt;

        @Option(names = "--input-ids", required = true, split = ",", description = "token ids fed as given, e.g. 1,2,3")
        int[] inputIds;
    }

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 means greedy (default)")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = off")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "1 = off")
    double topP;

    @Option(names = "--min-p", defaultValue = "0", description = "0 = off")
    double minP;

    @Option(names = "--repetition-penalty", defaultValue = "1", description = "1 = off")
    double repetitionPenalty;

    @Option(names = "--seed", description = "seed of the sampler (same seed, same output)")
    Long seed;

    @Option(names = "--stop", description = "stop string (repeatable)")
    String[] stop = new String[0];

    @Option(names = "--no-stop", description = "generate exactly --max-new-tokens tokens, ignoring EOS and stop strings")
    boolean noStop;

    @Option(names = "--logits-out", paramLabel = "FILE",
            description = "write the logits of the last prompt position as a float32 .npy file of shape [vocab]")
    Path logitsOut;

    @Option(names = "--json", description = "print one JSON object on one line")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SamplingParams.Builder sampling = SamplingParams.builder().temperature(temperature).topK(topK).topP(topP)
                .minP(minP).repetitionPenalty(repetitionPenalty);
        if (seed != null) {
            sampling.seed(seed);
        }
        GenerateRequest.Builder request = GenerateRequest.builder().maxNewTokens(maxNewTokens)
                .sampling(sampling.build()).ignoreStops(noStop).stop(stop);
        if (input.prompt != null) {
            request.prompt(input.prompt);
        } else {
            request.inputIds(input.inputIds);
        }
        try (Assistant assistant = model.open(err)) {
            Completion c = assistant.generate(request.build());
            if (logitsOut != null) {
                NpyWriter.writeFloat32(logitsOut, assistant.lastPositionLogits(c.inputIds()));
            }
            if (json) {
                out.println(JSON.writeValueAsString(toJson(c)));
            } else {
                out.println(c.text());
                err.println(describe(c.usage()));
            }
        }
        return 0;
    }

    static ObjectNode toJson(Completion c) {
        ObjectNode root = JSON.createObjectNode();
        Arrays.stream(c.inputIds()).forEach(root.putArray("input_ids")::add);
        Arrays.stream(c.outputIds()).forEach(root.putArray("output_ids")::add);
        root.put("text", c.text());
        Usage u = c.usage();
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", u.promptTokens());
        usage.put("completion_tokens", u.completionTokens());
        usage.put("total_tokens", u.totalTokens());
        usage.put("time_to_first_token_ms", u.timeToFirstTokenNanos() / 1e6);
        usage.put("total_ms", u.totalNanos() / 1e6);
        usage.put("decode_tokens_per_second", u.decodeTokensPerSecond());
        usage.put("finish_reason", u.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        return root;
    }

    static String describe(Usage u) {
        return String.format("[%d prompt + %d new tokens, first token after %.1f ms, %.1f tokens/s, finish: %s]",
                u.promptTokens(), u.completionTokens(), u.timeToFirstTokenNanos() / 1e6, u.decodeTokensPerSecond(),
                u.finishReason().name().toLowerCase(java.util.Locale.ROOT));
    }
}
