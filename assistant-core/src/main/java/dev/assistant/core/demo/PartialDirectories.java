package dev.assistant.core.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The half-written demo models a killed writer leaves behind ({@code <name>.partial<random>}), and their safe
 * removal: a writer records its process id and start time in {@value #OWNER}; a later writer removes a partial
 * directory only when that process is gone (or is another process that reused the id), or, without a readable
 * record, when nothing in it changed for {@link #ABANDONED_AFTER}. A directory another live process is still
 * writing is never touched.
 */
final class PartialDirectories {
    static final String INFIX = ".partial";
    static final String OWNER = ".writer";
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    private PartialDirectories() {
    }

    /** Marks {@code dir} as being written by this process. */
    static void claim(Path dir) throws IOException {
        ProcessHandle self = ProcessHandle.current();
        Files.writeString(dir.resolve(OWNER), self.pid() + " " + startOf(self).map(Instant::toString).orElse("-") + "\n",
                StandardCharsets.UTF_8);
    }

    /** Removes the abandoned partial directories directly under {@code parent}; failures are left for next time. */
    static void removeAbandoned(Path parent, Instant now) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, "*" + INFIX + "*")) {
            for (Path dir : entries) {
                if (Files.isDirectory(dir) && abandoned(dir, now)) {
                    deleteRecursively(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: a directory we cannot inspect or delete now costs disk space, not correctness.
        }
    }

    static boolean abandoned(Path dir, Instant now) throws IOException {
        Path owner = dir.resolve(OWNER);
        if (Files.isRegularFile(owner)) {
            String[] record = Files.readString(owner, StandardCharsets.UTF_8).strip().split(" ");
            try {
                long pid = Long.parseLong(record[0]);
                Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
                if (process.isEmpty()) {
                    return true;
                }
                // Same id, another start time: the id was reused, the writer is gone.
                return record.length > 1 && !record[1].equals("-")
                        && startOf(process.get()).map(s -> !s.toString().equals(record[1])).orElse(false);
            } catch (NumberFormatException e) {
                // unreadable record: fall back to the age
            }
        }
        return Files.getLastModifiedTime(dir).toInstant().plus(ABANDONED_AFTER).isBefore(now);
    }

    private static Optional<Instant> startOf(ProcessHandle process) {
        return process.info().startInstant();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
