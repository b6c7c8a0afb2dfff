package dev.assistant.metrics.config;

import dev.assistant.metrics.channel.mail.MailChannel;
import dev.assistant.metrics.route.AlertChannel;
import dev.assistant.metrics.route.CredentialSource;

import javax.net.ssl.SSLSocketFactory;
import java.time.Duration;

/** Builds e-mail channels; the only configuration class that touches Jakarta Mail. */
final class MailChannels {
    private MailChannels() {
    }

    static AlertChannel create(String name, ChannelSettings.Email m, CredentialSource credentials,
                               Duration connectTimeout, Duration readTimeout, Tls tls) {
        MailChannel.Builder b = MailChannel.builder(name, m.host(), m.port(), m.security())
                .from(m.from()).to(m.to()).html(m.html()).timeouts(connectTimeout, readTimeout);
        if (m.username() != null) {
            b.login(m.username(), m.password(), credentials);
        }
        if (tls != null) {
            b.sslSocketFactory(tls.factory());
        }
        return b.build();
    }

    /** A TLS socket factory for e-mail channels. */
    record Tls(SSLSocketFactory factory) {
    }
}
