package dev.assistant.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TemplateSourceRewriterTest {

    @Test
    void rewritesStepSlicesOnlyInCode() {
        assertThat(TemplateSourceRewriter.rewrite("{% for m in messages[::-1] %}x[::-1]{% endfor %}"))
                .isEqualTo("{% for m in __py_slice(messages, none, none, -1) %}x[::-1]{% endfor %}");
        assertThat(TemplateSourceRewriter.rewrite("{{ a.b[0][1::2] }}")).isEqualTo("{{ __py_slice(a.b[0], 1, none, 2) }}");
        assertThat(TemplateSourceRewriter.rewrite("{{ f(x)[::2][::-1] }}"))
                .isEqualTo("{{ __py_slice(__py_slice(f(x), none, none, 2), none, none, -1) }}");
        assertThat(TemplateSourceRewriter.rewrite("{{ '[::-1]' + m[1:] }}")).isEqualTo("{{ '[::-1]' + m[1:] }}");
        assertThat(TemplateSourceRewriter.rewrite("{# m[::-1] #}")).isEqualTo("{# m[::-1] #}");
    }

    @Test
    void unmatchedClosersBeforeASliceAreLeftAlone() {
        // found by fuzzing: an unmatched ')' or ']' before a step slice sent the base search past the start
        assertThat(TemplateSourceRewriter.rewrite("{{ a)[1:2:3] }}")).isEqualTo("{{ a)[1:2:3] }}");
        assertThat(TemplateSourceRewriter.rewrite("{{ x]b[::2] }}")).isEqualTo("{{ x]__py_slice(b, none, none, 2) }}");
        ModelTokenizerTest.assertCode(() -> ChatTemplate.builder("{{ a)[1:2:3] }}").build().render(List.of(ChatMessage.user("hi")), true),
                ErrorCode.MODEL_INVALID);
    }

    @Test
    void parenthesizesKeywordArgumentValues() {
        assertThat(TemplateSourceRewriter.rewrite("{% set ns = namespace(a=m|length - 1, b=true) %}"))
                .isEqualTo("{% set ns = namespace(a=(m|length - 1), b=(true)) %}");
        assertThat(TemplateSourceRewriter.rewrite("{{ f(a == b, 'x=y') }}")).isEqualTo("{{ f(a == b, 'x=y') }}");
        assertThat(TemplateSourceRewriter.rewrite("{% set x = 1 %}(y=2)")).isEqualTo("{% set x = 1 %}(y=2)");
    }

    @Test
    void loopFiltersAreRejectedNotMisrendered() {
        assertThat(TemplateSourceRewriter.usesLoopFilter("{% for m in messages if m.role == 'user' %}{% endfor %}")).isTrue();
        assertThat(TemplateSourceRewriter.usesLoopFilter("{% for m in (a if c else b) %}{% endfor %}")).isFalse();
        assertThat(TemplateSourceRewriter.usesLoopFilter("{% for m in messages %}{% if m %}{% endif %}{% endfor %}")).isFalse();
        ModelTokenizerTest.assertCode(() -> ChatTemplate.builder("{% for m in messages if m.role == 'user' %}{{ m.content }}{% endfor %}").build(),
                ErrorCode.MODEL_INVALID);
    }

    @Test
    void oneTemplateRendersConcurrently() throws Exception {
        ChatTemplate t = ChatTemplateTest.template("mistral-v0.3", "<s>", "</s>");
        List<ChatMessage> chat = List.of(ChatMessage.system("S"), ChatMessage.user("U"), ChatMessage.assistant("A"), ChatMessage.user("V"));
        String expected = t.render(chat, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 50; k++) {
                        if (!t.render(chat, true).equals(expected)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
