package dev.assistant.cli;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a secret for the {@code keys} commands: from the terminal without echo when there is one, otherwise all of
 * stdin (a pipe or a file), with one trailing line break removed. Never from an argument (shell history, process
 * listings). The caller owns the returned array and wipes it; intermediate buffers are wiped here.
 */
final class SecretInput {
    private static final int MAX_BYTES = 64 * 1024;

    private SecretInput() {
    }

    /**
     * @param prompt shown on the terminal (only when reading from one)
     * @throws IllegalArgumentException when the input is empty, too large or not UTF-8 (the message never quotes it)
     */
    static char[] read(String prompt) {
        Console console = System.console();
        char[] secret = console != null ? console.readPassword("%s", prompt) : readStream(System.in);
        if (secret == null || secret.length == 0) {
            throw new IllegalArgumentException("no secret on stdin (pipe it in or type it at the prompt)");
        }
        return secret;
    }

    static char[] readStream(InputStream in) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        byte[] bytes = null;
        try {
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (buffer.size() + n > MAX_BYTES) {
                    throw new IllegalArgumentException("the secret on stdin is larger than " + MAX_BYTES + " bytes");
                }
                buffer.write(chunk, 0, n);
            }
            bytes = buffer.toByteArray();
            int length = bytes.length;
            if (length > 0 && bytes[length - 1] == '\n') {
                length--;
                if (length > 0 && bytes[length - 1] == '\r') {
                    length--;
                }
            }
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length));
            char[] result = Arrays.copyOf(chars.array(), chars.limit());
            Arrays.fill(chars.array(), '\0');
            return result;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the secret on stdin is not UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        } finally {
            Arrays.fill(chunk, (byte) 0);
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
            // ByteArrayOutputStream's internal buffer cannot be wiped from outside; overwrite it in place.
            int size = buffer.size();
            buffer.reset();
            buffer.write(new byte[size], 0, size);
        }
    }
}
