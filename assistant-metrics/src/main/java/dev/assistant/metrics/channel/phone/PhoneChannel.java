package dev.assistant.metrics.channel.phone;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.channel.HttpExchange;
import dev.assistant.metrics.route.AlertChannel;
import dev.assistant.metrics.route.ChannelException;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Texts or calls a list of phone numbers through a {@link PhoneGateway} (SMS and voice alike: the gateway decides
 * which). Every number is tried; the delivery counts only when every number was accepted, otherwise the channel
 * fails and the router falls back (a recipient may then hear twice, which beats not hearing). Phone numbers are
 * personal data: errors and logs give counts, never the numbers.
 */
public final class PhoneChannel implements AlertChannel {
    private static final Pattern NUMBER = Pattern.compile("\\+?[0-9]{3,20}");

    private final String name;
    private final PhoneGateway gateway;
    private final List<String> numbers;
    private final HttpExchange http;

    /**
     * @param numbers        digits with an optional leading {@code +}, at least one
     * @param connectTimeout TCP connect timeout of the gateway's HTTP client
     */
    public PhoneChannel(String name, PhoneGateway gateway, List<String> numbers, Duration connectTimeout) {
        this.name = Objects.requireNonNull(name, "name");
        this.gateway = Objects.requireNonNull(gateway, "gateway");
        this.numbers = List.copyOf(numbers);
        if (this.numbers.isEmpty()) {
            throw new IllegalArgumentException("channel " + name + ": at least one phone number is required");
        }
        for (int i = 0; i < this.numbers.size(); i++) {
            if (!NUMBER.matcher(this.numbers.get(i)).matches()) {
                throw new IllegalArgumentException("channel " + name + ": phone number #" + (i + 1)
                        + " must be digits with an optional leading +");
            }
        }
        this.http = new HttpExchange(connectTimeout);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void deliver(AlertEvent event) throws ChannelException {
        int refused = 0;
        ChannelException first = null;
        for (String number : numbers) {
            try {
                gateway.check(http.send(gateway.request(number, event)));
            } catch (ChannelException e) {
                refused++;
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new ChannelException(gateway.provider() + ": " + refused + " of " + numbers.size()
                    + " recipient(s) not reached, first: " + first.getMessage(), first.transientFailure());
        }
    }

    @Override
    public void close() {
        http.close();
    }

    @Override
    public String toString() {
        return "PhoneChannel[" + name + ", " + gateway.provider() + ", " + numbers.size() + " recipient(s)]";
    }
}
