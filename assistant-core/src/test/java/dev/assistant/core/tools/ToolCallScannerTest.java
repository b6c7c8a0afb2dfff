package dev.assistant.core.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ToolCallScannerTest {

    /** Collects what a streaming client would see. */
    static final class Recorder implements ToolCallScanner.Sink {
        final StringBuilder text = new StringBuilder();
        final List<ToolCallDelta> deltas = new ArrayList<>();

        @Override
        public void text(String t) {
            text.append(t);
        }

        @Override
        public void toolCall(ToolCallDelta delta) {
            deltas.add(delta);
        }

        /** Arguments per call index, assembled from the fragments as an OpenAI client does. */
        Map<Integer, String> assembledArguments() {
            Map<Integer, String> out = new LinkedHashMap<>();
            deltas.forEach(d -> out.merge(d.index(), d.arguments(), String::concat));
            return out;
        }

        List<String> names() {
            return deltas.stream().filter(ToolCallDelta::isStart).map(ToolCallDelta::name).toList();
        }
    }

    private static ToolCallScanner scan(ToolCallFormat format, boolean callOnly, Recorder sink, String text, int piece) {
        ToolCallScanner scanner = new ToolCallScanner(format, callOnly, "call_x_", Integer.MAX_VALUE, sink);
        for (int i = 0; i < text.length(); i += piece) {
            scanner.push(text.substring(i, Math.min(text.length(), i + piece)));
        }
        scanner.finish();
        return scanner;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 1000})
    void hermesCallsAreSplitFromTextWhateverThePieceSize(int piece) {
        String answer = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                + "\"days\": [1, 2]}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
        Recorder sink = new Recorder();
        ToolCallScanner scanner = scan(ToolCallFormat.HERMES, false, sink, answer, piece);

        assertThat(scanner.calls()).containsExactly(
                new ToolCall("call_x_0", "get_weather", "{\"city\":\"Paris\",\"days\":[1,2]}".replace(",", ", ")
                        .replace(":", ": ")),
                new ToolCall("call_x_1", "get_time", "{}"));
        assertThat(scanner.content()).isEqualTo("Let me check.\n");
        assertThat(sink.text.toString()).isEqualTo(scanner.content());
        assertThat(sink.names()).containsExactly("get_weather", "get_time");
        // each call starts with id + name and empty arguments, as OpenAI streams it
        ToolCallDelta first = sink.deltas.get(0);
        assertThat(first.id()).isEqualTo("call_x_0");
        assertThat(first.arguments()).isEmpty();
        assertThat(sink.assembledArguments()).containsExactly(
                Map.entry(0, scanner.calls().get(0).arguments()), Map.entry(1, "{}"));
    }

    @Test
    void argumentsStreamInFragmentsWhileTheyAreGenerated() {
        Recorder sink = new Recorder();
        scan(ToolCallFormat.HERMES, false, sink, "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"long text\"}}</tool_call>", 4);
        long fragments = sink.deltas.stream().filter(d -> !d.isStart() && !d.arguments().isEmpty()).count();
        assertThat(fragments).isGreaterThan(2);
    }

    @Test
    void textThatOnlyLooksLikeTheStartOfAMarkerIsReleased() {
        Recorder sink = new Recorder();
        ToolCallScanner scanner = new ToolCallScanner(ToolCallFormat.HERMES, false, "c", 8, sink);
        scanner.push("a <tool");
        assertThat(sink.text.toString()).isEqualTo("a "); // "<tool" may still become "<tool_call>"
        scanner.push("box> b");
        assertThat(sink.text.toString()).isEqualTo("a <toolbox> b");
        scanner.finish();
        assertThat(scanner.calls()).isEmpty();
    }

    @Test
    void mistralCallsComeAsOneArray() {
        Recorder sink = new Recorder();
        ToolCallScanner scanner = scan(ToolCallFormat.MISTRAL, false, sink,
                "[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", \"arguments\": {\"y\": [2]}}]", 5);
        assertThat(scanner.calls()).extracting(ToolCall::name, ToolCall::arguments)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", "{\"x\": 1}"),
                        org.assertj.core.groups.Tuple.tuple("b", "{\"y\": [2]}"));
        assertThat(scanner.content()).isEmpty();
    }

    @Test
    void llama3CallsAreBareObjectsWithParametersOrAfterThePythonTag() {
        Recorder bare = new Recorder();
        ToolCallScanner s1 = scan(ToolCallFormat.LLAMA3_JSON, false, bare,
                "\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", 3);
        assertThat(s1.calls()).containsExactly(new ToolCall("call_x_0", "get_weather", "{\"city\": \"Oslo\"}"));
        assertThat(s1.content()).isEmpty();

        Recorder tagged = new Recorder();
        ToolCallScanner s2 = scan(ToolCallFormat.LLAMA3_JSON, false, tagged,
                "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}", 2);
        assertThat(s2.calls()).extracting(ToolCall::name).containsExactly("f");

        Recorder prose = new Recorder();
        ToolCallScanner s3 = scan(ToolCallFormat.LLAMA3_JSON, false, prose, "It is {warm} today.", 2);
        assertThat(s3.calls()).isEmpty();
        assertThat(s3.content()).isEqualTo("It is {warm} today.");
    }

    @Test
    void aForcedCallIsTheWholeAnswerAndMayNameItselfAfterItsArguments() {
        Recorder sink = new Recorder();
        ToolCallScanner scanner = scan(ToolCallFormat.HERMES, true, sink,
                " {\"arguments\": {\"q\": \"a \\\"quoted\\\" } brace\"}, \"name\": \"search\"}", 3);
        assertThat(scanner.calls()).containsExactly(
                new ToolCall("call_x_0", "search", "{\"q\": \"a \\\"quoted\\\" } brace\"}"));
        assertThat(sink.deltas.get(0).isStart()).isTrue();
        assertThat(sink.assembledArguments().get(0)).isEqualTo(scanner.calls().get(0).arguments());
    }

    @Test
    void anObjectWithoutANameIsTextAndACutOffCallIsNoCall() {
        Recorder sink = new Recorder();
        ToolCallScanner scanner = scan(ToolCallFormat.HERMES, false, sink, "<tool_call>{\"x\": 1}</tool_call> done", 4);
        assertThat(scanner.calls()).isEmpty();
        assertThat(scanner.content()).contains("{\"x\": 1}").endsWith("done");

        Recorder cut = new Recorder();
        ToolCallScanner s2 = scan(ToolCallFormat.HERMES, false, cut, "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\":", 4);
        assertThat(s2.calls()).isEmpty();
    }

    @Test
    void callsPastTheLimitAreDropped() {
        Recorder sink = new Recorder();
        ToolCallScanner scanner = new ToolCallScanner(ToolCallFormat.HERMES, false, "c", 1, sink);
        scanner.push("<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>");
        scanner.finish();
        assertThat(scanner.calls()).extracting(ToolCall::name).containsExactly("a");
        assertThat(sink.names()).containsExactly("a");
    }
}
