package dev.assistant.metrics.config;

import dev.assistant.api.metrics.Ticker;
import dev.assistant.metrics.channel.LogChannel;
import dev.assistant.metrics.channel.WebhookChannel;
import dev.assistant.metrics.channel.phone.AliyunGateway;
import dev.assistant.metrics.channel.phone.PhoneChannel;
import dev.assistant.metrics.notify.WebhookFormat;
import dev.assistant.metrics.route.AlertChannel;
import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.route.CredentialSource;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Builds the channels and the {@link AlertRouter} an {@link AlertsConfig} describes. What the configuration cannot
 * hold is injected here: where secrets come from, the clocks, the nonce source and (for a private CA) the mail TLS
 * socket factory.
 */
public final class AlertChannels {
    private final CredentialSource credentials;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Supplier<String> nonces;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final MailChannels.Tls mailTls;

    private AlertChannels(Builder b) {
        this.credentials = Objects.requireNonNull(b.credentials, "credentials are required");
        this.ticker = b.ticker;
        this.wallClock = b.wallClock;
        this.nonces = b.nonces;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.mailTls = b.mailTls;
    }

    public static Builder builder(CredentialSource credentials) {
        return new Builder(credentials);
    }

    /** A router with every channel of {@code config}, its rate limits and default route; routes are checked. */
    public AlertRouter router(AlertsConfig config) {
        AlertRouter.Builder router = AlertRouter.builder().ticker(ticker).rateLimit(config.rateLimit())
                .defaultRoute(config.defaultRoute());
        for (Map.Entry<String, ChannelSettings> e : new TreeMap<>(config.channels()).entrySet()) {
            router.channel(channel(e.getKey(), e.getValue()));
            if (e.getValue().rateLimit() != null) {
                router.rateLimit(e.getKey(), e.getValue().rateLimit());
            }
        }
        AlertRouter built = router.build();
        built.checkRoutes(config.alertRules());
        return built;
    }

    /** The channel {@code settings} describe, called {@code name}. */
    public AlertChannel channel(String name, ChannelSettings settings) {
        if (settings instanceof ChannelSettings.Log) {
            return new LogChannel(name);
        }
        if (settings instanceof ChannelSettings.Webhook w) {
            return WebhookChannel.builder(name, w.url()).format(WebhookFormat.GENERIC_JSON)
                    .timeouts(connectTimeout, requestTimeout).build();
        }
        if (settings instanceof ChannelSettings.Wecom w) {
            return WebhookChannel.builder(name, w.url()).format(WebhookFormat.WECOM_MARKDOWN)
                    .keyParameter("key", w.key(), credentials).timeouts(connectTimeout, requestTimeout).build();
        }
        if (settings instanceof ChannelSettings.Email m) {
            // In its own class so Jakarta Mail (optional) is loaded only when an e-mail channel is configured.
            return MailChannels.create(name, m, credentials, connectTimeout, requestTimeout, mailTls);
        }
        if (settings instanceof ChannelSettings.AliyunSms s) {
            return new PhoneChannel(name, AliyunGateway.sms(
                    new AliyunGateway.Account(s.endpoint(), s.accessKeyId(), s.accessKeySecret(), s.regionId()),
                    s.signName(), s.templateCode(), credentials, wallClock, nonces, requestTimeout),
                    s.phoneNumbers(), connectTimeout);
        }
        if (settings instanceof ChannelSettings.AliyunVoice v) {
            return new PhoneChannel(name, AliyunGateway.voice(
                    new AliyunGateway.Account(v.endpoint(), v.accessKeyId(), v.accessKeySecret(), v.regionId()),
                    v.calledShowNumber(), v.ttsCode(), credentials, wallClock, nonces, requestTimeout),
                    v.phoneNumbers(), connectTimeout);
        }
        throw new IllegalArgumentException("channel " + name + ": unsupported settings " + settings.getClass());
    }

    /** Configures {@link AlertChannels}. */
    public static final class Builder {
        private final CredentialSource credentials;
        private Ticker ticker = Ticker.SYSTEM;
        private InstantSource wallClock = InstantSource.system();
        private Supplier<String> nonces = AliyunGateway.randomNonces();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private MailChannels.Tls mailTls;

        private Builder(CredentialSource credentials) {
            this.credentials = credentials;
        }

        /** Monotonic time of the rate limits (default {@link Ticker#SYSTEM}). */
        public Builder ticker(Ticker value) {
            this.ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /** Wall clock of provider timestamps (default the system clock). */
        public Builder wallClock(InstantSource value) {
            this.wallClock = Objects.requireNonNull(value, "wallClock");
            return this;
        }

        /** Nonces of signed provider requests (default random UUIDs). */
        public Builder nonces(Supplier<String> value) {
            this.nonces = Objects.requireNonNull(value, "nonces");
            return this;
        }

        /** Connect and request timeouts of every channel (default 5 s and 10 s). */
        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = Objects.requireNonNull(connect, "connect");
            this.requestTimeout = Objects.requireNonNull(request, "request");
            return this;
        }

        /**
         * The TLS socket factory of e-mail channels, for an SMTP server whose certificate the JVM's trust store does
         * not know (default: the JVM's). Passed as an object so this class does not need Jakarta Mail.
         */
        public Builder mailSslSocketFactory(javax.net.ssl.SSLSocketFactory value) {
            this.mailTls = new MailChannels.Tls(Objects.requireNonNull(value, "mailSslSocketFactory"));
            return this;
        }

        public AlertChannels build() {
            return new AlertChannels(this);
        }
    }
}
