package example.host;

import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import java.nio.file.Path;

/**
 * A host application: loads a model directory, continues a prompt greedily and prints only the new text.
 *
 * <pre>java -cp 'target/host-app-1.0.jar:target/lib/*' example.host.HostApp MODEL_DIR "Once upon a time" 32</pre>
 */
public final class HostApp {
    private HostApp() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: HostApp MODEL_DIR PROMPT MAX_NEW_TOKENS");
            System.exit(2);
        }
        try (Assistant assistant = Assistant.builder().modelPath(Path.of(args[0])).device("cpu").build()) {
            Completion completion = assistant.generate(GenerateRequest.builder()
                    .prompt(args[1])
                    .maxNewTokens(Integer.parseInt(args[2]))
                    .ignoreStops(true)
                    .build());
            System.out.println(completion.text());
        }
    }
}
