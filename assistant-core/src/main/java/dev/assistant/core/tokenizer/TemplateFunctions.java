package dev.assistant.core.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.lang.reflect.Array;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The global functions HF's chat-template environment defines, as static methods for Jinjava. Per-render state
 * (the injected clock, the message of a {@code raise_exception}) lives in a {@link RenderState} bound in the render
 * context, so nothing here is global.
 */
final class TemplateFunctions {
    static final String STATE_KEY = "__assistant_chat_template_state";

    private TemplateFunctions() {
    }

    /** Per-render state; one instance per {@link ChatTemplate#render} call. */
    static final class RenderState {
        final Clock clock;
        volatile String raisedMessage;

        RenderState(Clock clock) {
            this.clock = clock;
        }
    }

    /** {@code raise_exception(message)}: aborts rendering; surfaces as INVALID_REQUEST with the message. */
    public static String raiseException(Object message) {
        String text = message == null ? "None" : message.toString();
        RenderState state = state();
        if (state != null && state.raisedMessage == null) {
            state.raisedMessage = text;
        }
        throw new IllegalArgumentException("raise_exception: " + text);
    }

    /** {@code strftime_now(format)}: the injected clock's current time, python strftime format, clock's zone. */
    public static String strftimeNow(String format) {
        RenderState state = state();
        Clock clock = state == null ? Clock.systemDefaultZone() : state.clock;
        return PythonStrftime.format(format == null ? "" : format, ZonedDateTime.now(clock));
    }

    /**
     * {@code seq[start:stop:step]} with python semantics; Jinjava parses {@code [a:b]} but not a step, so
     * {@link TemplateSourceRewriter} turns {@code x[::-1]} into {@code __py_slice(x, none, none, -1)}.
     */
    public static Object pySlice(Object seq, Object start, Object stop, Object step) {
        int st = step == null ? 1 : ((Number) step).intValue();
        if (st == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        if (seq instanceof CharSequence cs) {
            int[] cps = cs.toString().codePoints().toArray();
            StringBuilder out = new StringBuilder();
            for (int i : indices(cps.length, start, stop, st)) {
                out.appendCodePoint(cps[i]);
            }
            return out.toString();
        }
        List<Object> items = new ArrayList<>();
        if (seq instanceof Iterable<?> it) {
            it.forEach(items::add);
        } else if (seq != null && seq.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(seq); i++) {
                items.add(Array.get(seq, i));
            }
        } else {
            throw new IllegalArgumentException("cannot slice " + (seq == null ? "None" : seq.getClass().getSimpleName()));
        }
        List<Object> out = new ArrayList<>();
        for (int i : indices(items.size(), start, stop, st)) {
            out.add(items.get(i));
        }
        return out;
    }

    private static List<Integer> indices(int length, Object startObj, Object stopObj, int step) {
        int start;
        int stop;
        if (step > 0) {
            start = startObj == null ? 0 : clamp(((Number) startObj).intValue(), length, 0, length);
            stop = stopObj == null ? length : clamp(((Number) stopObj).intValue(), length, 0, length);
        } else {
            start = startObj == null ? length - 1 : clamp(((Number) startObj).intValue(), length, -1, length - 1);
            stop = stopObj == null ? -1 : clamp(((Number) stopObj).intValue(), length, -1, length - 1);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
        }
        return out;
    }

    private static int clamp(int index, int length, int low, int high) {
        int i = index < 0 ? index + length : index;
        return Math.max(low, Math.min(high, i));
    }

    private static RenderState state() {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        if (interpreter == null) {
            return null;
        }
        Object state = interpreter.getContext().get(STATE_KEY);
        return state instanceof RenderState rs ? rs : null;
    }
}
