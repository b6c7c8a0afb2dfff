package dev.assistant.core.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Splits a model's answer, as it streams, into text and tool calls of one {@link ToolCallFormat}. Text outside calls
 * goes to the sink as soon as it cannot be the start of a call marker; a call is announced (id and name) as soon as
 * its name is complete, and its arguments follow fragment by fragment as they are generated, so a streaming client
 * sees them grow. The same scanner run over the whole answer gives the final result, so a streamed answer and the
 * complete one always agree.
 *
 * <p>Not thread-safe: one scanner per answer, fed in order.
 */
public final class ToolCallScanner {
    /** Receives the pieces of the answer. */
    public interface Sink {
        void text(String text);

        void toolCall(ToolCallDelta delta);
    }

    private enum State { OUTSIDE, BEFORE_CALL, BETWEEN_ITEMS, IN_CALL, AFTER_CALL }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ToolCallFormat format;
    private final String idPrefix;
    private final Sink sink;
    private final int maxCalls;
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder content = new StringBuilder();
    private final List<ToolCall> calls = new ArrayList<>();
    private State state;
    private boolean sawText;
    private CallObject call;
    private int callsBegun;

    /**
     * @param format     the model's call format
     * @param callOnly   the answer is only the call JSON (a forced call: the marker was part of the prompt)
     * @param idPrefix   call ids are this prefix followed by the call's index
     * @param maxCalls   calls past this many are dropped (1 when parallel calls are off)
     * @param sink       where text and call pieces go (on the feeding thread)
     */
    public ToolCallScanner(ToolCallFormat format, boolean callOnly, String idPrefix, int maxCalls, Sink sink) {
        if (maxCalls < 1) {
            throw new IllegalArgumentException("maxCalls must be at least 1");
        }
        this.maxCalls = maxCalls;
        this.format = Objects.requireNonNull(format, "format");
        this.idPrefix = Objects.requireNonNull(idPrefix, "idPrefix");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.state = callOnly ? State.BEFORE_CALL : State.OUTSIDE;
    }

    /** Feeds the next piece of generated text. */
    public void push(String delta) {
        for (int i = 0; i < delta.length(); i++) {
            accept(delta.charAt(i));
        }
        if (state == State.OUTSIDE) {
            releaseText();
        }
        if (call != null) {
            call.emitArguments();
        }
    }

    /** Ends the answer: text still held back is released; a call left unfinished is not a call. */
    public void finish() {
        if (state == State.IN_CALL && call != null && !call.started) {
            emitText(call.raw.toString());
        }
        call = null;
        if (state == State.OUTSIDE && !(callsBegun > 0 && held.toString().isBlank())) {
            emitText(held.toString());
        }
        held.setLength(0);
    }

    /** The completed calls, in order. */
    public List<ToolCall> calls() {
        return List.copyOf(calls);
    }

    /** All text outside calls. */
    public String content() {
        return content.toString();
    }

    private void accept(char c) {
        switch (state) {
            case OUTSIDE -> outside(c);
            case BEFORE_CALL -> beforeCall(c);
            case BETWEEN_ITEMS -> betweenItems(c);
            case IN_CALL -> {
                if (call.accept(c)) {
                    completeCall();
                }
            }
            case AFTER_CALL -> afterCall(c);
        }
    }

    private void outside(char c) {
        if (format.acceptsBareObject() && !sawText && c == '{') {
            held.setLength(0); // leading whitespace before a bare call is not content
            beginCall(c);
            return;
        }
        if (!Character.isWhitespace(c)) {
            sawText = true;
        }
        held.append(c);
        String marker = format.openMarker();
        if (endsWith(held, marker)) {
            String before = held.substring(0, held.length() - marker.length());
            if (!(callsBegun > 0 && before.isBlank())) {
                emitText(before); // whitespace between two calls is not content
            }
            held.setLength(0);
            state = State.BEFORE_CALL;
        }
    }

    /** Emits the held text that cannot be the beginning of the open marker. */
    private void releaseText() {
        if (format.acceptsBareObject() && !sawText) {
            return; // only whitespace so far: a bare call may still follow
        }
        int keep = longestMarkerPrefixSuffix(held, format.openMarker());
        String release = held.substring(0, held.length() - keep);
        if (callsBegun > 0 && release.isBlank()) {
            return; // whitespace since the last call: another call may follow
        }
        emitText(release);
        held.delete(0, held.length() - keep);
    }

    private void beforeCall(char c) {
        if (Character.isWhitespace(c)) {
            return;
        }
        if (format.arrayOfCalls() && c == '[') {
            state = State.BETWEEN_ITEMS;
        } else if (!format.arrayOfCalls() && c == '{') {
            beginCall(c);
        } else {
            backToText(format.openMarker(), c);
        }
    }

    private void betweenItems(char c) {
        if (Character.isWhitespace(c) || c == ',') {
            return;
        }
        if (c == '{') {
            beginCall(c);
        } else if (c == ']') {
            state = State.OUTSIDE;
        } else {
            backToText("", c);
        }
    }

    private void afterCall(char c) {
        String close = format.closeMarker();
        if (close == null) {
            // Llama 3 may separate several bare calls with ';'
            if (Character.isWhitespace(c) || c == ';') {
                return;
            }
            if (c == '{') {
                beginCall(c);
            } else {
                backToText("", c);
            }
            return;
        }
        if (held.length() == 0 && Character.isWhitespace(c)) {
            return;
        }
        held.append(c);
        if (held.toString().equals(close)) {
            held.setLength(0);
            state = State.OUTSIDE;
        } else if (!close.startsWith(held.toString())) {
            String text = held.toString();
            held.setLength(0);
            state = State.OUTSIDE;
            for (int i = 0; i < text.length(); i++) {
                outside(text.charAt(i));
            }
        }
    }

    private void backToText(String prefix, char c) {
        state = State.OUTSIDE;
        held.append(prefix);
        sawText = true;
        outside(c);
    }

    private void beginCall(char c) {
        call = new CallObject(callsBegun++);
        state = State.IN_CALL;
        call.accept(c);
    }

    private void completeCall() {
        CallObject done = call;
        call = null;
        if (done.name == null) {
            callsBegun--;
            emitText(done.raw.toString()); // a JSON object without a name is not a call
            sawText = true;
            state = State.OUTSIDE;
            return;
        }
        if (done.arguments.length() == 0) {
            done.arguments.append("{}");
        }
        if (!done.dropped()) {
            done.start();
            done.emitArguments();
            calls.add(new ToolCall(done.id, done.name, done.arguments.toString()));
        }
        state = format.arrayOfCalls() ? State.BETWEEN_ITEMS : State.AFTER_CALL;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) {
            content.append(text);
            sink.text(text);
        }
    }

    private static boolean endsWith(StringBuilder sb, String suffix) {
        int n = sb.length() - suffix.length();
        return n >= 0 && sb.indexOf(suffix, n) == n;
    }

    private static int longestMarkerPrefixSuffix(StringBuilder sb, String marker) {
        for (int k = Math.min(marker.length() - 1, sb.length()); k > 0; k--) {
            if (sb.substring(sb.length() - k).equals(marker.substring(0, k))) {
                return k;
            }
        }
        return 0;
    }

    /** One call's JSON object, scanned character by character: its name and the raw text of its arguments. */
    private final class CallObject {
        private enum Phase { EXPECT_KEY, IN_KEY, EXPECT_COLON, EXPECT_VALUE, IN_VALUE }

        final String id;
        final int index;
        final StringBuilder raw = new StringBuilder();
        final StringBuilder arguments = new StringBuilder();
        private final StringBuilder key = new StringBuilder();
        private final StringBuilder nameValue = new StringBuilder();
        private Phase phase = Phase.EXPECT_KEY;
        private StringBuilder value;
        private boolean valueIsName;
        private int depth;
        private boolean inString;
        private boolean escaped;
        String name;
        boolean started;
        private int argumentsSent;

        CallObject(int index) {
            this.index = index;
            this.id = idPrefix + index;
        }

        /** Takes one character; true when it closed the object. */
        boolean accept(char c) {
            raw.append(c);
            if (inString) {
                if (phase == Phase.IN_KEY) {
                    key.append(c);
                } else if (value != null) {
                    value.append(c);
                }
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 1 && phase == Phase.IN_KEY) {
                        phase = Phase.EXPECT_COLON;
                    } else if (depth == 1 && valueIsName) {
                        name = parseString(nameValue.toString());
                        start();
                    }
                }
                return false;
            }
            if (depth == 0) {
                if (c == '{') {
                    depth = 1;
                }
                return false;
            }
            if (depth == 1) {
                return atTopLevel(c);
            }
            if (value != null) {
                value.append(c);
            }
            nest(c);
            return false;
        }

        private boolean atTopLevel(char c) {
            switch (phase) {
                case EXPECT_KEY -> {
                    if (c == '"') {
                        key.setLength(0);
                        key.append(c);
                        inString = true;
                        phase = Phase.IN_KEY;
                    } else if (c == '}') {
                        return true;
                    }
                }
                case EXPECT_COLON -> {
                    if (c == ':') {
                        String k = parseString(key.toString());
                        valueIsName = "name".equals(k);
                        value = valueIsName ? nameValue : k != null && format.isArgumentsKey(k) ? arguments : null;
                        if (value != null) {
                            value.setLength(0);
                        }
                        phase = Phase.EXPECT_VALUE;
                    }
                }
                case EXPECT_VALUE, IN_VALUE -> {
                    if (Character.isWhitespace(c)) {
                        return false;
                    }
                    if (phase == Phase.IN_VALUE && (c == ',' || c == '}')) {
                        value = null;
                        valueIsName = false;
                        phase = Phase.EXPECT_KEY;
                        return c == '}';
                    }
                    phase = Phase.IN_VALUE;
                    if (value != null) {
                        value.append(c);
                    }
                    nest(c);
                }
                default -> {
                }
            }
            return false;
        }

        private void nest(char c) {
            switch (c) {
                case '"' -> inString = true;
                case '{', '[' -> depth++;
                case '}', ']' -> depth = Math.max(1, depth - 1);
                default -> {
                }
            }
        }

        /** Whether this call is past the most calls allowed. */
        boolean dropped() {
            return index >= maxCalls;
        }

        /** Announces the call once its name is known. */
        void start() {
            if (!started && name != null && !dropped()) {
                started = true;
                sink.toolCall(new ToolCallDelta(index, id, name, ""));
            }
        }

        /** Sends the arguments text generated since the last fragment, once the call is announced. */
        void emitArguments() {
            if (started && arguments.length() > argumentsSent) {
                String fragment = arguments.substring(argumentsSent);
                argumentsSent = arguments.length();
                sink.toolCall(new ToolCallDelta(index, null, null, fragment));
            }
        }

        private String parseString(String quoted) {
            try {
                JsonNode n = JSON.readTree(quoted);
                return n != null && n.isTextual() ? n.asText() : null;
            } catch (JsonProcessingException e) {
                return null;
            }
        }
    }
}
