package dev.assistant.engine.pytorch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Which libtorch build the classpath holds ({@code native/lib/pytorch.properties} of DJL's
 * {@code pytorch-native-*} jars: flavor {@code cpu} or {@code cuNNN}, and the platform classifier) and whether it
 * fits the platform the JVM runs on. Read without starting libtorch, so a missing or foreign build is reported with
 * the artifact to add instead of a download attempt or a native crash, and CUDA is probed only where a CUDA build
 * is present.
 *
 * @param platform the classifier of the platform the JVM runs on ({@code linux-x86_64}, ...), or null if DJL
 *                 publishes none for it
 * @param flavor   the flavor of the natives found ({@code cpu}, {@code cu124}, ...), or null when none were found
 * @param found    the classifier of the natives found, or null
 */
record LibtorchNatives(String platform, String flavor, String found) {
    /** The libtorch version this SDK's pytorch-jni binds to (DJL's {@code pytorch-native-*} version). */
    static final String VERSION = "2.7.1";
    private static final String PROPERTIES = "native/lib/pytorch.properties";

    /** The natives visible to this class's loader, for the platform this JVM reports. */
    static LibtorchNatives here() {
        return detect(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
                LibtorchNatives.class.getClassLoader());
    }

    /** The natives {@code loader} sees, judged for a JVM on {@code osName}/{@code osArch} (injectable for tests). */
    static LibtorchNatives detect(String osName, String osArch, ClassLoader loader) {
        String platform = platform(osName, osArch);
        Properties properties = new Properties();
        try (InputStream in = loader.getResourceAsStream(PROPERTIES)) {
            if (in == null) {
                return new LibtorchNatives(platform, null, null);
            }
            properties.load(in);
        } catch (IOException e) {
            return new LibtorchNatives(platform, null, null);
        }
        return new LibtorchNatives(platform, properties.getProperty("flavor"), properties.getProperty("classifier"));
    }

    /** DJL's classifier for a JVM's {@code os.name}/{@code os.arch}, or null where it publishes none. */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        if (os.startsWith("linux")) {
            return x64 ? "linux-x86_64" : arm64 ? "linux-aarch64" : null;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return arm64 ? "osx-aarch64" : null;
        }
        if (os.startsWith("windows")) {
            return x64 ? "win-x86_64" : null;
        }
        return null;
    }

    /** Whether the natives found are a CUDA build (only then is it worth asking libtorch about GPUs). */
    boolean cuda() {
        return flavor != null && flavor.startsWith("cu");
    }

    /**
     * Empty when the natives found fit this platform, else what is wrong and which artifact to add. A host that
     * points DJL at a libtorch of its own ({@code PYTORCH_LIBRARY_PATH}) is trusted.
     */
    Optional<String> problem(boolean ownLibrary) {
        if (ownLibrary) {
            return Optional.empty();
        }
        if (platform == null) {
            return Optional.of("DJL publishes no libtorch for this platform; set PYTORCH_LIBRARY_PATH to a libtorch "
                    + VERSION + " of your own");
        }
        if (found == null) {
            return Optional.of("libtorch's natives are not on the classpath: add " + artifact(platform));
        }
        if (!found.equals(platform)) {
            return Optional.of("the classpath holds libtorch's natives for " + found + ", not " + platform + ": add "
                    + artifact(platform));
        }
        return Optional.empty();
    }

    /** The Maven coordinates of the CPU natives for {@code platform}. */
    static String artifact(String platform) {
        return "ai.djl.pytorch:pytorch-native-cpu:" + VERSION + " with classifier " + platform;
    }
}
