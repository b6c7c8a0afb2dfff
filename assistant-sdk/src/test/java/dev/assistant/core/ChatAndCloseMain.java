package dev.assistant.core;

import java.nio.file.Path;

/** Child-JVM program for the lifecycle test: chat once, close, and fall off the end of main. */
public final class ChatAndCloseMain {
    public static void main(String[] args) {
        Assistant assistant = Assistant.builder().modelPath(Path.of(args[0])).device("cpu").build();
        Completion c = assistant.chat(ChatRequest.builder().user("Hello").maxNewTokens(8).build());
        System.out.println("answer: " + c.text());
        assistant.close();
        // no System.exit: the JVM must end because no non-daemon thread is left
    }
}
