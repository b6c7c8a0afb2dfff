package dev.assistant.engine.pytorch;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.CacheType;
import de.kherud.llama.args.LogFormat;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.gguf.GgmlType;
import dev.assistant.core.gguf.GgufConverter;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.Gemma2TestModel;
import dev.assistant.core.testing.Gemma3TestModel;
import dev.assistant.core.testing.Phi3TestModel;
import dev.assistant.core.testing.Qwen2TestModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Qwen2, Gemma 2, Gemma 3 and Phi-3 (with and without LongRoPE) random-weight models, converted to GGUF F32, run by this SDK and by llama.cpp
 * (b4916 through {@code de.kherud:llama}, an implementation nobody here wrote): the same greedy tokens, and the same
 * logit gaps between the winner and the runners-up.
 *
 * <p>That binding cannot return logits ({@code setNProbs} crashes the JVM), so a gap {@code l(winner) - l(j)} is
 * measured on llama.cpp's side by bisecting the smallest logit bias on {@code j} that makes it win a one-token greedy
 * step restricted to the two. Only tokens whose text is whole UTF-8 and unique take part (on both sides), so that a
 * step's text names its token. llama.cpp runs with an F32 KV cache (its f16 default reorders near ties). Its Gemma 2
 * build knows 26, 42 and 46 layers only, so that model has 26 (narrow) layers; its Gemma 3 takes head_dim as the query
 * scale, local RoPE base 10^4 and one global layer in 6, which the model here has.
 */
class LlamaCppCrossCheckTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;
    private static final int RUNNERS_UP = 2;
    private static final float BANNED = -1e9f;

    @TempDir
    Path tmp;

    @BeforeAll
    static void quietLlamaCpp() {
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
    }

    /**
     * Tolerances of a gap, a few times what was measured (qwen2 4.9e-6, gemma2 4.6e-4, gemma3 1.8e-3, phi3 4.8e-6,
     * phi3 with LongRoPE beyond its trained context of 4, where llama.cpp takes the long factors, 4.5e-6; both Phi-3
     * cases run on the native engine, which auto selection picks):
     * llama.cpp's GELU reads a float16 table, so Gemma's MLPs differ more than SiLU models do.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"qwen2, 1e-4", "gemma2, 1e-2", "gemma3, 1e-2", "phi3, 1e-4", "phi3longrope, 1e-4"})
    void llamaCppGivesTheSameGreedyTokensAndLogitGaps(String family, double tolerance) throws Exception {
        Path hf = switch (family) {
            case "qwen2" -> Qwen2TestModel.write(tmp.resolve("hf"), 7);
            case "gemma2" -> Gemma2TestModel.write(tmp.resolve("hf"), 7, 2.0, Gemma2TestModel.HEAD_DIM, 26);
            case "gemma3" -> Gemma3TestModel.write(tmp.resolve("hf"), 7, Gemma3TestModel.HEAD_DIM);
            case "phi3" -> Phi3TestModel.write(tmp.resolve("hf"), 7, null);
            case "phi3longrope" -> Phi3TestModel.writeLongRope(tmp.resolve("hf"), 7, 4);
            default -> throw new IllegalArgumentException(family);
        };
        // general.name is the directory's ("hf"): a name containing "phi3" would switch on a vocabulary hack there
        Path gguf = GgufConverter.convert(hf, tmp.resolve("model-f32.gguf"), GgmlType.F32);
        ModelParameters params = new ModelParameters().setModel(gguf.toString()).setCtxSize(128).setThreads(1)
                .setThreadsBatch(1).setGpuLayers(0).setCacheTypeK(CacheType.F32).setCacheTypeV(CacheType.F32).disableLog();
        double worst = 0;
        List<Integer> ours = new ArrayList<>();
        List<Integer> theirs = new ArrayList<>();
        try (CausalLanguageModel model = EngineProviders.discover().load(ModelDirectory.read(gguf, false),
                LoadOptions.builder().device("cpu").build());
             Sequence seq = model.newSequence(PROMPT.length + STEPS + 1);
             LlamaModel llama = new LlamaModel(params)) {
            Map<String, Integer> byText = wholeTokens(llama, model.config().vocabSize());
            List<Integer> ids = new ArrayList<>();
            for (int id : PROMPT) {
                ids.add(id);
            }
            float[] logits = seq.forward(PROMPT);
            for (int step = 0; step < STEPS; step++) {
                List<Integer> ranked = rank(logits, byText.values());
                int winner = ranked.get(0);
                Map<Integer, Float> bias = banAllBut(model.config().vocabSize(), byText.values());
                int llamaWinner = byText.get(complete(llama, ids, bias));
                ours.add(winner);
                theirs.add(llamaWinner);
                if (llamaWinner != winner) {
                    break;
                }
                for (int r = 1; r <= RUNNERS_UP; r++) {
                    int runnerUp = ranked.get(r);
                    double gap = logits[winner] - logits[runnerUp];
                    double llamaGap = gap(llama, ids, winner, runnerUp, byText, model.config().vocabSize(), gap);
                    worst = Math.max(worst, Math.abs(gap - llamaGap));
                }
                ids.add(winner);
                logits = seq.forward(new int[]{winner});
            }
        }
        assertThat(theirs).as("llama.cpp's greedy tokens").containsExactlyElementsOf(ours);
        System.out.printf("%s vs llama.cpp: %d greedy tokens equal, max |logit gap diff| %.2e%n", family, ours.size(), worst);
        assertThat(worst).as("max |logit gap difference|").isLessThan(tolerance);
    }

    /** Token ids whose text is whole UTF-8, non-empty and unique in the vocabulary, by text. */
    private static Map<String, Integer> wholeTokens(LlamaModel llama, int vocab) {
        Map<String, List<Integer>> all = new HashMap<>();
        for (int id = 0; id < vocab; id++) {
            String text = llama.decode(new int[]{id});
            if (!text.isEmpty() && text.indexOf('\uFFFD') < 0) {
                all.computeIfAbsent(text, t -> new ArrayList<>()).add(id);
            }
        }
        Map<String, Integer> unique = new LinkedHashMap<>();
        all.forEach((text, idsOfText) -> {
            if (idsOfText.size() == 1) {
                unique.put(text, idsOfText.get(0));
            }
        });
        assertThat(unique).hasSizeGreaterThan(100);
        return unique;
    }

    /** {@code candidates} by our logit, best first. */
    private static List<Integer> rank(float[] logits, java.util.Collection<Integer> candidates) {
        return candidates.stream().sorted((a, b) -> Float.compare(logits[b], logits[a])).collect(Collectors.toList());
    }

    private static Map<Integer, Float> banAllBut(int vocab, java.util.Collection<Integer> allowed) {
        Map<Integer, Float> bias = new HashMap<>();
        for (int id = 0; id < vocab; id++) {
            if (!allowed.contains(id)) {
                bias.put(id, BANNED);
            }
        }
        return bias;
    }

    /**
     * llama.cpp's {@code l(winner) - l(runnerUp)}: the bias on {@code runnerUp} at which it starts to win a greedy
     * step between the two, bisected to 1e-5 around {@code guess}.
     */
    private static double gap(LlamaModel llama, List<Integer> ids, int winner, int runnerUp,
                              Map<String, Integer> byText, int vocab, double guess) {
        Map<Integer, Float> bias = banAllBut(vocab, List.of(winner, runnerUp));
        double lo = 0;
        double hi = guess + 1;
        bias.put(runnerUp, (float) hi);
        while (byText.get(complete(llama, ids, bias)) != runnerUp) {
            lo = hi;
            hi *= 2;
            bias.put(runnerUp, (float) hi);
        }
        while (hi - lo > 1e-5) {
            double mid = (lo + hi) / 2;
            bias.put(runnerUp, (float) mid);
            if (byText.get(complete(llama, ids, bias)) == runnerUp) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** llama.cpp's one greedy token after {@code ids} (given as ids, no BOS added) with {@code bias}, as text. */
    private static String complete(LlamaModel llama, List<Integer> ids, Map<Integer, Float> bias) {
        InferenceParameters p = new InferenceParameters("").setNPredict(1).setTemperature(0f).setSeed(1)
                .setRepeatPenalty(1f).setCachePrompt(false).setTokenIdBias(bias);
        promptIds(p, ids);
        return llama.complete(p);
    }

    /**
     * The binding sends the server's JSON request, whose {@code prompt} may be a list of token ids, but only offers
     * a text setter: the ids go into its parameter map directly.
     */
    private static void promptIds(InferenceParameters p, List<Integer> ids) {
        try {
            Field f = p.getClass().getSuperclass().getDeclaredField("parameters");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<String, String> json = (Map<String, String>) f.get(p);
            json.put("prompt", ids.toString());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
