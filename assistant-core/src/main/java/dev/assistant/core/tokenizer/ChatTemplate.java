package dev.assistant.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolSpec;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's own Jinja {@code chat_template}, rendered the way HF {@code tokenizer.apply_chat_template(messages,
 * tokenize=False, add_generation_prompt=...)} renders it (jinja2 with {@code trim_blocks} and
 * {@code lstrip_blocks}, single trailing newline of the source dropped), through Jinjava.
 *
 * <p>The template sees {@code messages} (a list of maps with {@code role} — {@code system}/{@code user}/
 * {@code assistant} — and {@code content}), {@code add_generation_prompt}, the special-token strings
 * ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code pad_token}, {@code additional_special_tokens} when
 * configured; a token the tokenizer lacks stays undefined, as in HF), and HF's helpers {@code raise_exception(msg)},
 * {@code strftime_now(fmt)} (from the injected clock, in the clock's zone), the {@code tojson} filter, the
 * {@code {% generation %}} tag, {@code namespace()}, loop controls, python string methods ({@code strip},
 * {@code lstrip}, {@code rstrip}, {@code startswith}, {@code endswith}, {@code split}, {@code rsplit},
 * {@code splitlines}, {@code replace}, {@code upper}, {@code lower}, {@code title}, {@code capitalize},
 * {@code find}, {@code count}, {@code join}, {@code removeprefix}, ...) and extended slices ({@code xs[::-1]}).
 * Message content is data: {@code {{ }}} inside a message is never interpreted.
 *
 * <p>Known differences from jinja2: booleans and {@code None} print as {@code true}/{@code false}/empty (templates
 * print strings, so real templates are unaffected); a template using the {@code for x in xs if cond} loop filter
 * is rejected (MODEL_INVALID) rather than rendered wrongly.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate implements ChatFormat {
    /** What {@code strftime_now is defined} sees; calls resolve to the registered function. */
    private static final String FUNCTION_MARKER = "<function>";
    private static final List<ChatMessage> PROBE_CONVERSATION = List.of(ChatMessage.user("Hello"));
    private static final ToolSpec PROBE_TOOL = ToolSpec.of("probe_tool_5e0c", "Probes tool support", null);

    private final String name;
    private final String source;
    private final String compiledSource;
    private final Map<String, Object> globals;
    private final Clock clock;
    private final Jinjava jinjava;
    private final boolean supportsTools;
    private final boolean supportsToolCalls;

    private ChatTemplate(Builder b) {
        this.name = b.name;
        this.source = b.source;
        if (TemplateSourceRewriter.usesLoopFilter(b.source)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "chat template '" + b.name
                    + "' filters a loop ({% for x in xs if cond %}), which this renderer does not support");
        }
        this.compiledSource = TemplateSourceRewriter.rewrite(dropOneTrailingNewline(b.source));
        this.globals = Map.copyOf(b.globals);
        this.clock = b.clock;
        this.jinjava = newJinjava();
        validate();
        this.supportsTools = probeTools();
        this.supportsToolCalls = supportsTools && probeToolCalls();
    }

    /** Starts a template from its Jinja source (e.g. {@code tokenizer_config.json}'s {@code chat_template}). */
    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** The template's name ({@code default} unless the config lists named templates). */
    public String name() {
        return name;
    }

    /** The Jinja source as configured. */
    public String source() {
        return source;
    }

    /**
     * Renders the conversation to the prompt text.
     *
     * @throws AssistantException INVALID_REQUEST with the template's message when it calls {@code raise_exception}
     *                            (e.g. roles that do not alternate) or when messages are null/empty;
     *                            MODEL_INVALID when the template fails for another reason
     */
    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    /**
     * Renders the conversation with tools, as HF {@code apply_chat_template(messages, tools=...)} does: the template
     * sees {@code tools} (a list of {@code {"type": "function", "function": {name, description, parameters}}},
     * undefined when empty), assistant messages' {@code tool_calls} ({@code {id, type, function: {name,
     * arguments}}}, arguments as a mapping when they parse) and {@code tool} messages with {@code tool_call_id} and
     * the called tool's {@code name}. Whether the template uses them: {@link #supportsTools()},
     * {@link #supportsToolCalls()}.
     */
    public String render(List<ChatMessage> messages, List<ToolSpec> tools, boolean addGenerationPrompt) {
        if (messages == null || messages.isEmpty()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "a conversation needs at least one message");
        }
        TemplateFunctions.RenderState state = new TemplateFunctions.RenderState(clock);
        Map<String, Object> context = new HashMap<>(globals);
        context.put("messages", TemplateMessages.of(messages));
        if (tools != null && !tools.isEmpty()) {
            context.put("tools", TemplateMessages.tools(tools));
        }
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("strftime_now", FUNCTION_MARKER);
        context.put("raise_exception", FUNCTION_MARKER);
        context.put(TemplateFunctions.STATE_KEY, state);
        RenderResult result;
        try {
            result = jinjava.renderForResult(compiledSource, context);
        } catch (RuntimeException e) {
            throw failure(state, e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw failure(state, error.getMessage() + (error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : ""),
                        error.getException());
            }
        }
        if (state.raisedMessage != null) {
            throw failure(state, null, null);
        }
        return result.getOutput();
    }

    /** Whether the template shows the {@code tools} variable to the model (probed once, at build). */
    public boolean supportsTools() {
        return supportsTools;
    }

    /** Whether the template renders assistant {@code tool_calls} and {@code tool} results (probed once, at build). */
    public boolean supportsToolCalls() {
        return supportsToolCalls;
    }

    private boolean probeTools() {
        try {
            return render(PROBE_CONVERSATION, List.of(PROBE_TOOL), true).contains(PROBE_TOOL.name());
        } catch (AssistantException e) {
            return false;
        }
    }

    private boolean probeToolCalls() {
        ToolCall call = new ToolCall("call_probe", PROBE_TOOL.name(), "{}");
        List<ChatMessage> conversation = List.of(ChatMessage.user("Hello"), ChatMessage.assistant("", List.of(call)),
                ChatMessage.tool("call_probe", "probe result 6b1d"), ChatMessage.user("Thanks"));
        try {
            String out = render(conversation, List.of(PROBE_TOOL), true);
            return out.contains(PROBE_TOOL.name()) && out.contains("probe result 6b1d");
        } catch (AssistantException e) {
            return false;
        }
    }

    /** HF tokenizes a rendered template with {@code add_special_tokens=False}: the template writes BOS itself. */
    @Override
    public boolean addSpecialTokensWhenEncoding() {
        return false;
    }

    private AssistantException failure(TemplateFunctions.RenderState state, String detail, Throwable cause) {
        if (state.raisedMessage != null) {
            return new AssistantException(ErrorCode.INVALID_REQUEST, state.raisedMessage, "chat_template_rejected",
                    null, -1);
        }
        return new AssistantException(ErrorCode.MODEL_INVALID,
                "chat template '" + name + "' failed to render: " + detail, cause);
    }

    /** Fails fast at load: a template that does not parse, or fails on a one-message conversation, is unusable. */
    private void validate() {
        try {
            render(PROBE_CONVERSATION, true);
        } catch (AssistantException e) {
            if (e.code() != ErrorCode.INVALID_REQUEST) {
                throw new AssistantException(ErrorCode.MODEL_INVALID,
                        "chat template '" + name + "' is not a usable Jinja template: " + e.getMessage(), e);
            }
        }
    }

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaConfig.newBuilder().build().getElResolver());
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // message content must never be re-interpreted as template code
                .withNestedInterpretationEnabled(false)
                .withFailOnUnknownTokens(false)
                .withElResolver(resolver)
                // jinja2 semantics where Jinjava keeps legacy behaviour for its own users: {{- -}} and {#- -#}
                // whitespace control, Python operator precedence, dict keys as expressions, iterating a dict
                // yields its keys, None kept in loops
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        jinjava.registerFunction(new ELFunctionDefinition("", TemplateSourceRewriter.SLICE_FUNCTION,
                TemplateFunctions.class, "pySlice", Object.class, Object.class, Object.class, Object.class));
        jinjava.registerFilter(new TemplateExtensions.ToJsonFilter());
        jinjava.registerFilter(new TemplateExtensions.TrimFilter());
        jinjava.registerTag(new TemplateExtensions.GenerationTag());
        return jinjava;
    }

    /** jinja2's default {@code keep_trailing_newline=False}. */
    private static String dropOneTrailingNewline(String s) {
        if (s.endsWith("\r\n")) {
            return s.substring(0, s.length() - 2);
        }
        if (s.endsWith("\n")) {
            return s.substring(0, s.length() - 1);
        }
        return s;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + name + ", " + source.length() + " chars]";
    }

    /** Configures a {@link ChatTemplate}; {@link #build()} validates the template. */
    public static final class Builder {
        private final String source;
        private String name = TokenizerFiles.DEFAULT_TEMPLATE_NAME;
        private final Map<String, Object> globals = new HashMap<>();
        private Clock clock = Clock.systemDefaultZone();

        private Builder(String source) {
            if (source == null || source.isBlank()) {
                throw new AssistantException(ErrorCode.MODEL_INVALID, "chat template source must not be empty");
            }
            this.source = source;
        }

        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Sets {@code bos_token} (ignored when null: the variable stays undefined). */
        public Builder bosToken(String token) {
            return specialToken("bos_token", token);
        }

        /** Sets {@code eos_token} (ignored when null). */
        public Builder eosToken(String token) {
            return specialToken("eos_token", token);
        }

        /**
         * Binds one special-token variable, e.g. {@code unk_token}, {@code pad_token}, or
         * {@code additional_special_tokens} (a list). Null leaves it undefined.
         */
        public Builder specialToken(String variable, Object value) {
            Objects.requireNonNull(variable, "variable");
            if (value == null) {
                globals.remove(variable);
            } else {
                globals.put(variable, value instanceof List<?> list ? List.copyOf(list) : value);
            }
            return this;
        }

        /** The clock {@code strftime_now} reads; its zone is the template's local time. Default: system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Compiles and validates the template.
         *
         * @throws AssistantException MODEL_INVALID when it does not parse or cannot render a one-message conversation
         */
        public ChatTemplate build() {
            return new ChatTemplate(this);
        }
    }
}
