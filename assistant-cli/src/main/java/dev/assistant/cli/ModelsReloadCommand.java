package dev.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code assistant models reload NAME [--path DIR]}: asks a running server to load a new version of a model beside
 * the old one, verify it and switch to it ({@code POST /admin/models/NAME/reload}). The caller's key (which needs
 * the {@code assistant:ReloadModel} action on {@code model/NAME}) is read from an environment variable, never from
 * the command line, where other users of the machine could see it.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Load a new version of a served model without downtime: the server loads it beside the old "
                + "one, self-tests it and switches new requests to it; in-flight requests finish on the old one. "
                + "A version that fails is reported and the old one keeps serving.")
final class ModelsReloadCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "the model's name on the server")
    String name;

    @Option(names = "--path", paramLabel = "DIR",
            description = "the new version's directory, as the server sees it (default: the model's current path, "
                    + "e.g. after an atomic rename)")
    Path path;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8000",
            description = "the server (default: ${DEFAULT-VALUE})")
    URI url;

    @Option(names = "--key-env", defaultValue = "ASSISTANT_API_KEY",
            description = "environment variable holding an API key allowed assistant:ReloadModel (default: ${DEFAULT-VALUE})")
    String keyEnv;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "how long to wait for the load (default: ${DEFAULT-VALUE})")
    Duration timeout;

    /** Where the key comes from; the environment unless a test gives another. */
    Map<String, String> environment = System.getenv();

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode body = JSON.createObjectNode();
        if (path != null) {
            body.put("path", path.toString());
        }
        URI target = url.resolve("/admin/models/" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "/reload");
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        String key = environment.get(keyEnv);
        if (key != null && !key.isBlank()) {
            request.header("Authorization", "Bearer " + key.strip());
        } else {
            err.printf("No key in $%s: the server will refuse the reload unless it allows it without one.%n", keyEnv);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            err.printf("Cannot reach %s: %s%n", url, e.getMessage());
            return 2;
        }
        JsonNode answer = parse(response.body());
        if (response.statusCode() == 200) {
            out.printf("Model \"%s\" now serves version %s.%n", name, answer.path("version").asText("?"));
            return 0;
        }
        err.printf("Reload of \"%s\" refused (HTTP %d): %s%n", name, response.statusCode(),
                answer.path("error").path("message").asText(response.body()));
        err.println("The previous version keeps serving.");
        return 1;
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
