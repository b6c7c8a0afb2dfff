package dev.assistant.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java quick start compiles as pasted (imports included) against the SDK's API. */
class ReadmeQuickStartTest {
    @TempDir
    Path out;

    @Test
    void theJavaQuickStartCompilesAsWritten() throws IOException {
        String source = quickStart(Files.readString(Path.of("..", "README.md")));
        assertThat(source).contains("import dev.assistant.core.Assistant;").contains("class QuickStart");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean ok = javac.getTask(diagnostics, null, null,
                List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path"), "-proc:none"),
                null, List.of(new Source("QuickStart", source))).call();
        assertThat(ok).as(diagnostics.toString()).isTrue();
        assertThat(out.resolve("QuickStart.class")).exists();
    }

    /** The first java block after the "Java quick start" heading. */
    static String quickStart(String readme) {
        int section = readme.indexOf("## Java quick start");
        assertThat(section).as("README has a Java quick start section").isNotNegative();
        int start = readme.indexOf("```java\n", section);
        assertThat(start).isNotNegative();
        int end = readme.indexOf("```", start + 8);
        return readme.substring(start + 8, end);
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
