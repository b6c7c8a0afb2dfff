package dev.assistant.engine.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;

/**
 * A native library shipped inside the jar ({@code /native/<os>-<arch>/lib<name>.so}), copied to a temporary file
 * and loaded once per process. Nothing is downloaded: when the jar holds no build for this platform (another OS or
 * CPU, or built without a C compiler) the library is simply unavailable, and {@link #unavailableBecause()} says why.
 */
final class BundledLibrary {
    private final String name;
    private final Optional<String> unavailable;

    private BundledLibrary(String name) {
        this.name = name;
        this.unavailable = load(name);
    }

    /** The native Llama layers ({@code src/main/c}), loaded on first use. */
    static BundledLibrary layers() {
        return Layers.INSTANCE;
    }

    /** Empty when the library is loaded, else the reason it is not. */
    Optional<String> unavailableBecause() {
        return unavailable;
    }

    String name() {
        return name;
    }

    private static final class Layers {
        static final BundledLibrary INSTANCE = new BundledLibrary("assistant_layers");
    }

    private static Optional<String> load(String name) {
        String platform = platform();
        if (platform == null) {
            return Optional.of("no native build for " + System.getProperty("os.name") + " on "
                    + System.getProperty("os.arch"));
        }
        // under this package, not a shared top-level folder: another jar's (or an older build's) library of the same
        // name earlier on the class path must not be found instead
        String resource = "/dev/assistant/engine/cpu/native/" + platform + "/lib" + name + ".so";
        try (InputStream in = BundledLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.of("this build of the SDK has no " + resource + " (it was built without a C compiler)");
            }
            Path file = Files.createTempFile("lib" + name + "-", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
            return Optional.empty();
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return Optional.of("cannot load " + resource + ": " + e.getMessage());
        }
    }

    /** {@code linux-x86_64} and the like, or null where no build exists. */
    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
            return "linux-x86_64";
        }
        return null;
    }
}
