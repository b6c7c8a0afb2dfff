package dev.assistant.core.demo;

import java.nio.file.Files;
import java.nio.file.Path;

/** A demo-model writer that claims a partial directory, says so on stdout, and waits to be killed. */
public final class PartialWriterMain {
    private PartialWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path partial = Files.createTempDirectory(Path.of(args[0]), "tiny-seed42-v1" + PartialDirectories.INFIX);
        PartialDirectories.claim(partial);
        Files.write(partial.resolve("model.safetensors"), new byte[4096]);
        System.out.println(partial);
        System.out.flush();
        Thread.sleep(120_000);
    }
}
