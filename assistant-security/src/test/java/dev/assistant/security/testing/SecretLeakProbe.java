package dev.assistant.security.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects every text a run of code paths shows (console, java.util.logging records, the slf4j-simple log file,
 * exception messages and causes, object {@code toString()}), so a test can assert that planted secrets appear in
 * none of them (also Base64- and hex-encoded). Used by the no-secret tests of this module and the opt-in ones.
 */
public final class SecretLeakProbe {
    private final List<String> texts = new ArrayList<>();

    /** Something code paths exercise; work that fails is recorded with {@link #attempt}. */
    @FunctionalInterface
    public interface Paths {
        void run() throws Exception;
    }

    /** Runs {@code paths} with the console and JUL captured, then adds the log file's new lines. */
    public void capture(Class<?> testClass, Paths paths) throws Exception {
        Path logFile = Path.of(System.getProperty("org.slf4j.simpleLogger.logFile", "target/security-test.log"));
        // slf4j-simple truncates its file when it initialises: do that before measuring where this run starts,
        // or a run where this is the first test to log reads from beyond the end of the new file.
        org.slf4j.LoggerFactory.getLogger(testClass).info("no-secret test starting");
        long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
        List<String> julLines = Collections.synchronizedList(new ArrayList<>());
        Handler jul = new Handler() {
            @Override
            public void publish(LogRecord record) {
                julLines.add(record.getMessage() + " " + record.getParameters() + " "
                        + (record.getThrown() == null ? "" : describe(record.getThrown())));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        Level oldLevel = root.getLevel();
        root.addHandler(jul);
        root.setLevel(Level.ALL);
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        try {
            paths.run();
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
            root.removeHandler(jul);
            root.setLevel(oldLevel);
        }
        texts.add(console.toString(StandardCharsets.UTF_8));
        texts.addAll(julLines);
        texts.add(newLogLines(logFile, logStart));
    }

    private static String newLogLines(Path logFile, long from) throws IOException {
        String log = Files.exists(logFile) ? Files.readString(logFile) : "";
        return log.substring((int) Math.min(from, log.length()));
    }

    /** Records the {@code toString()} of {@code o}. */
    public void observe(Object o) {
        texts.add(String.valueOf(o));
    }

    /** Records a text shown to someone (a summary line, a stored document). */
    public void text(String text) {
        texts.add(text);
    }

    /** Runs {@code r} and records its exception (message, {@code toString()}, causes, suppressed), if any. */
    public void attempt(Runnable r) {
        try {
            r.run();
            texts.add("no failure");
        } catch (RuntimeException e) {
            texts.add(describe(e));
        }
    }

    /** Everything recorded so far, joined (to check that the paths really ran and logged). */
    public String all() {
        return String.join("\n", texts);
    }

    /** Fails if any recorded text contains one of {@code secrets}, as is or Base64/hex-encoded. */
    public void assertNoneContain(List<String> secrets) {
        List<String> forbidden = new ArrayList<>();
        for (String secret : secrets) {
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            forbidden.add(secret);
            forbidden.add(Base64.getEncoder().encodeToString(bytes));
            forbidden.add(HexFormat.of().formatHex(bytes));
        }
        for (String text : texts) {
            for (String secret : forbidden) {
                assertThat(text).as("a log line, message or toString").doesNotContain(secret);
            }
        }
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            sb.append(c).append(" | ").append(c.getMessage()).append(" | ").append(c.getLocalizedMessage()).append('\n');
            for (Throwable s : c.getSuppressed()) {
                sb.append(describe(s));
            }
        }
        return sb.toString();
    }
}
