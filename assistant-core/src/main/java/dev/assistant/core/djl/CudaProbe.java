package dev.assistant.core.djl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Keeps DJL's CUDA probe out of the host's log on CPU-only hosts. DJL ({@code ai.djl.util.cuda.CudaUtils}) asks the
 * CUDA runtime for the GPU count whenever it loads a native library of its own (the HuggingFace tokenizer's, and
 * libtorch's), whatever build is present, and logs "Failed to detect GPU count" at WARN on every machine with a CUDA
 * toolkit but no driver (common in ML images). Where no CUDA build of libtorch is on the classpath the answer cannot
 * matter, so the probe's logging is switched off with DJL's own switch (the one its command-line probe uses; DJL
 * offers no setting). Where a CUDA build is present nothing is changed: there the warning can matter.
 */
public final class CudaProbe {
    private static final Logger LOG = LoggerFactory.getLogger(CudaProbe.class);

    private CudaProbe() {
    }

    /** Whether the classpath holds a CUDA build of libtorch (DJL's {@code native/lib/pytorch.properties}). */
    public static boolean cudaLibtorchPresent(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream("native/lib/pytorch.properties")) {
            if (in == null) {
                return false;
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("flavor", "").startsWith("cu");
        } catch (IOException e) {
            return false;
        }
    }

    /** Silences the probe unless a CUDA build of libtorch is present. Safe to call more than once. */
    public static void quietUnlessCudaLibtorch() {
        if (cudaLibtorchPresent(CudaProbe.class.getClassLoader())) {
            return;
        }
        try {
            java.lang.reflect.Field logging = Class.forName("ai.djl.util.cuda.CudaUtils").getDeclaredField("logging");
            logging.setAccessible(true);
            logging.setBoolean(null, false);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("cannot quiet DJL's CUDA probe; its warning may appear: {}", e.toString());
        }
    }
}
