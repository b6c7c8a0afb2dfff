package dev.assistant.metrics.channel.phone;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.route.ChannelException;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * One provider's HTTP API for reaching a phone, by text message or by a call that reads the alert out: how to
 * build the signed request and how to read the answer. {@link PhoneChannel} does the rest, whatever the provider.
 * Implementations resolve their credentials per request and wipe them; nothing secret may reach their exception
 * messages or {@code toString()}.
 */
public interface PhoneGateway {
    /** The provider and product, for logs and errors (for example {@code aliyun-sms}). */
    String provider();

    /** The complete, signed request that notifies {@code phoneNumber} of {@code event}. */
    HttpRequest request(String phoneNumber, AlertEvent event) throws ChannelException;

    /** Returns when the provider accepted the request, throws a safe {@link ChannelException} otherwise. */
    void check(HttpResponse<String> response) throws ChannelException;
}
