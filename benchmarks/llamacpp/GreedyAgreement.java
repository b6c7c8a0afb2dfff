import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How often llama.cpp's Q8_0 keeps its own F32 answers, in the terms of the SDK's Int8AccuracyTest: for each golden
 * prompt, whether the first greedy token is the same and how many of 32 greedy tokens agree before the first
 * difference. Also checks F32 against the golden continuation (the conversion is right).
 *
 * <p>Usage: {@code GreedyAgreement F32_GGUF Q8_0_GGUF CASES_TSV} (index, prompt, golden continuation per line).
 */
public class GreedyAgreement {
    public static void main(String[] args) throws Exception {
        List<String[]> cases = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[2]))) {
            cases.add(line.split("\t", -1));
        }
        List<List<String>> f32 = generateAll(args[0], cases);
        List<List<String>> q8 = generateAll(args[1], cases);
        int sameFirst = 0, agreeing = 0, total = 0, goldenEqual = 0;
        for (int i = 0; i < cases.size(); i++) {
            List<String> a = f32.get(i), b = q8.get(i);
            int same = 0;
            while (same < Math.min(a.size(), b.size()) && a.get(same).equals(b.get(same))) {
                same++;
            }
            boolean first = same > 0;
            boolean golden = String.join("", a).strip().equals(cases.get(i)[2].replace("\\n", "\n").strip());
            sameFirst += first ? 1 : 0;
            goldenEqual += golden ? 1 : 0;
            agreeing += same;
            total += a.size();
            System.out.printf("{\"case\":%s,\"q8_0_first_token_equal\":%b,\"q8_0_agreeing_tokens\":%d,\"tokens\":%d,"
                    + "\"f32_equals_golden\":%b}%n", cases.get(i)[0], first, same, a.size(), golden);
        }
        System.out.printf("llama.cpp Q8_0 vs its F32: first token equal on %d of %d prompts; %d of %d greedy tokens "
                + "agree before the first difference (F32 = golden continuation on %d of %d)%n",
                sameFirst, cases.size(), agreeing, total, goldenEqual, cases.size());
        System.out.flush();
        System.exit(0); // de.kherud:llama 4.2.0 leaves a non-daemon native thread after close()
    }

    /** The 32 greedy tokens (as text pieces) of every prompt. */
    private static List<List<String>> generateAll(String gguf, List<String[]> cases) {
        LlamaModel model = new LlamaModel(new ModelParameters().setModel(gguf).setThreads(1).setCtxSize(512)
                .setGpuLayers(0));
        List<List<String>> all = new ArrayList<>();
        for (String[] c : cases) {
            InferenceParameters ip = new InferenceParameters(c[1]).setNPredict(32).setTemperature(0f)
                    .setIgnoreEos(true).setSeed(42).setCachePrompt(false); // no KV reuse across prompts
            List<String> pieces = new ArrayList<>();
            for (LlamaOutput out : model.generate(ip)) {
                if (pieces.size() < 32) { // the stream ends with an empty stop message
                    pieces.add(out.text);
                }
            }
            all.add(pieces);
        }
        return all;
    }
}
