package dev.assistant.core.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A writer killed with SIGKILL while it writes the demo model leaves a {@code .partial} directory; the next write
 * removes it, and never removes one that a live process is still writing.
 */
class PartialDirectoriesTest {
    @TempDir
    Path cache;

    @Test
    void aKilledWritersDirectoryIsRemovedByTheNextWriteButALiveOneIsNot() throws Exception {
        Path models = Files.createDirectories(cache.resolve("models"));
        Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PartialWriterMain.class.getName(), models.toString())
                .redirectErrorStream(true).start();
        Path partial;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            partial = Path.of(out.readLine());
            assertThat(partial).isDirectory();

            PartialDirectories.removeAbandoned(models, Instant.now().plusSeconds(7 * 24 * 3600));
            assertThat(partial).as("its writer is alive, however old the directory").isDirectory();

            writer.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            writer.destroyForcibly();
        }
        assertThat(partial).as("the kill left it behind").isDirectory();

        Path model = DemoModels.ensure(cache, ModelShape.TINY, 42);
        assertThat(partial).doesNotExist();
        assertThat(model.resolve(".complete")).isRegularFile();
        try (var left = Files.list(models)) {
            assertThat(left.filter(p -> p.getFileName().toString().contains(PartialDirectories.INFIX))).isEmpty();
        }
    }

    @Test
    void anUnmarkedDirectoryIsRemovedOnlyOnceItIsOld() throws Exception {
        Path models = Files.createDirectories(cache.resolve("models"));
        Path fresh = Files.createDirectory(models.resolve("tiny-seed42-v1.partial111"));
        Path old = Files.createDirectory(models.resolve("tiny-seed42-v1.partial222"));
        Instant now = Instant.now();
        Files.setLastModifiedTime(old, FileTime.from(now.minus(PartialDirectories.ABANDONED_AFTER).minusSeconds(60)));
        Path unrelated = Files.createDirectory(models.resolve("someone-elses-folder"));
        Files.setLastModifiedTime(unrelated, FileTime.from(now.minusSeconds(30 * 24 * 3600)));

        PartialDirectories.removeAbandoned(models, now);

        assertThat(fresh).isDirectory();
        assertThat(old).doesNotExist();
        assertThat(unrelated).isDirectory();
    }
}
