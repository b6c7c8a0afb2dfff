package dev.assistant.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.server.openai.ApiError;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Jetty's own errors (a malformed request line, headers too large, an unsupported HTTP version, a broken chunked
 * body...) in the OpenAI JSON error shape instead of Jetty's HTML page, so every answer of the server has one shape.
 * The message is the standard reason phrase: nothing of the request, and no exception text, is echoed.
 */
final class JsonErrorHandler extends ErrorHandler {
    private final ObjectMapper json;

    JsonErrorHandler(ObjectMapper json) {
        this.json = json;
    }

    /** Errors found before a request exists (Jetty writes the bytes itself). */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, Exchange.JSON);
        return ByteBuffer.wrap(body(status));
    }

    /** Errors of a request under way that Jetty answers itself (for example a failure before our handler ran). */
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() >= 400 ? response.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR_500;
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.JSON);
        response.write(true, ByteBuffer.wrap(body(status)), callback);
        return true;
    }

    static ApiError error(int status) {
        String reason = HttpStatus.getMessage(status);
        String code = reason.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        return new ApiError(status, type, code.isEmpty() ? null : code, null,
                "The server could not process the HTTP request: " + status + " " + reason + ".", OptionalLong.empty());
    }

    private byte[] body(int status) {
        try {
            return json.writeValueAsBytes(error(status).toJson(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("error body could not be serialised", e);
        }
    }
}
