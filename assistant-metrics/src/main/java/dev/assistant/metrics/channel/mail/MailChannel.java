package dev.assistant.metrics.channel.mail;

import dev.assistant.api.Secret;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.route.AlertChannel;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.CredentialSource;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * Sends alert mails over SMTP with Jakarta Mail (Eclipse Angus, an optional dependency: add
 * {@code org.eclipse.angus:angus-mail} to use this class). Plain SMTP, STARTTLS (required, not opportunistic) or
 * SMTPS; optional authentication with the password from the {@link CredentialSource}; a plain-text body, or
 * {@code multipart/alternative} with text and HTML.
 *
 * <p>Each delivery opens its own {@link Session} (never the process-wide default) and connection, bounded by the
 * connect and read timeouts. Server certificates are checked against the JVM's trust store and the host name,
 * unless the host injects its own {@link SSLSocketFactory}. Jakarta Mail takes the password as a {@code String},
 * which cannot be wiped; it lives only for one delivery.
 */
public final class MailChannel implements AlertChannel {
    private final String name;
    private final String host;
    private final int port;
    private final MailSecurity security;
    private final String username;
    private final String passwordKey;
    private final CredentialSource credentials;
    private final InternetAddress from;
    private final InternetAddress[] to;
    private final boolean html;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final SSLSocketFactory sslSocketFactory;

    private MailChannel(Builder b) {
        this.name = b.name;
        this.host = b.host;
        this.port = b.port;
        this.security = b.security;
        this.username = b.username;
        this.passwordKey = b.passwordKey;
        this.credentials = b.credentials;
        if ((username == null) != (passwordKey == null) || (passwordKey != null && credentials == null)) {
            throw new IllegalStateException("channel " + name + ": authentication needs a username, a password key "
                    + "id and a credential source, or none of them");
        }
        this.from = address(b.from, "from");
        if (b.to.isEmpty()) {
            throw new IllegalStateException("channel " + name + ": at least one recipient is required");
        }
        this.to = b.to.stream().map(a -> address(a, "to")).toArray(InternetAddress[]::new);
        this.html = b.html;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.sslSocketFactory = b.sslSocketFactory;
    }

    /** A channel called {@code name} sending through {@code host:port} with {@code security}. */
    public static Builder builder(String name, String host, int port, MailSecurity security) {
        return new Builder(name, host, port, security);
    }

    private InternetAddress address(String text, String field) {
        try {
            InternetAddress a = new InternetAddress(Objects.requireNonNull(text, field), true);
            a.validate();
            return a;
        } catch (AddressException e) {
            throw new IllegalArgumentException("channel " + name + ": '" + field + "' is not a valid address");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void deliver(AlertEvent event) throws ChannelException {
        String protocol = security == MailSecurity.SMTPS ? "smtps" : "smtp";
        Session session = Session.getInstance(properties(protocol));
        try {
            MimeMessage message = message(session, event);
            try (Transport transport = session.getTransport(protocol)) {
                connect(transport);
                transport.sendMessage(message, message.getAllRecipients());
            }
        } catch (AuthenticationFailedException e) {
            throw new ChannelException("SMTP authentication failed", false);
        } catch (SendFailedException e) {
            int invalid = e.getInvalidAddresses() == null ? 0 : e.getInvalidAddresses().length;
            throw new ChannelException("SMTP server refused the message (" + invalid + " invalid recipient(s))",
                    false);
        } catch (MessagingException e) {
            Throwable cause = e.getCause();
            boolean io = cause instanceof IOException;
            throw new ChannelException("SMTP " + (io ? "I/O error " + cause.getClass().getSimpleName()
                    : "error " + e.getClass().getSimpleName()), io);
        }
    }

    private void connect(Transport transport) throws MessagingException {
        if (passwordKey == null) {
            transport.connect(host, port, null, null);
            return;
        }
        try (Secret secret = credentials.secret(passwordKey)) {
            char[] chars = secret.chars();
            try {
                transport.connect(host, port, username, new String(chars));
            } finally {
                Arrays.fill(chars, '\0');
            }
        }
    }

    private MimeMessage message(Session session, AlertEvent event) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(from);
        m.setRecipients(Message.RecipientType.TO, to);
        m.setSubject(MailBodies.subject(event), "UTF-8");
        m.setSentDate(Date.from(event.at()));
        m.setHeader("X-Alert-Rule", event.rule());
        if (!html) {
            m.setText(MailBodies.text(event), "UTF-8");
            return m;
        }
        MimeBodyPart text = new MimeBodyPart();
        text.setText(MailBodies.text(event), "UTF-8");
        MimeBodyPart page = new MimeBodyPart();
        page.setContent(MailBodies.html(event), "text/html; charset=UTF-8");
        m.setContent(new MimeMultipart("alternative", text, page));
        return m;
    }

    private Properties properties(String protocol) {
        Properties p = new Properties();
        String prefix = "mail." + protocol + ".";
        p.put(prefix + "host", host);
        p.put(prefix + "port", Integer.toString(port));
        p.put(prefix + "auth", Boolean.toString(passwordKey != null));
        p.put(prefix + "connectiontimeout", Long.toString(connectTimeout.toMillis()));
        p.put(prefix + "timeout", Long.toString(readTimeout.toMillis()));
        p.put(prefix + "writetimeout", Long.toString(readTimeout.toMillis()));
        if (security != MailSecurity.NONE) {
            p.put(prefix + "ssl.checkserveridentity", "true");
        }
        if (security == MailSecurity.STARTTLS) {
            p.put(prefix + "starttls.enable", "true");
            p.put(prefix + "starttls.required", "true");
        }
        if (security == MailSecurity.SMTPS) {
            p.put(prefix + "ssl.enable", "true");
        }
        if (sslSocketFactory != null) {
            p.put(prefix + "ssl.socketFactory", sslSocketFactory);
        }
        return p;
    }

    @Override
    public String toString() {
        return "MailChannel[" + name + ", " + host + ":" + port + ", " + security + ", " + to.length
                + " recipient(s)" + (html ? ", html" : "") + "]";
    }

    /** Configures a {@link MailChannel}. */
    public static final class Builder {
        private final String name;
        private final String host;
        private final int port;
        private final MailSecurity security;
        private String username;
        private String passwordKey;
        private CredentialSource credentials;
        private String from;
        private List<String> to = List.of();
        private boolean html;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(10);
        private SSLSocketFactory sslSocketFactory;

        private Builder(String name, String host, int port, MailSecurity security) {
            this.name = Objects.requireNonNull(name, "name");
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("channel " + name + ": SMTP host is required");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("channel " + name + ": SMTP port must be 1..65535, was " + port);
            }
            this.host = host;
            this.port = port;
            this.security = Objects.requireNonNull(security, "security");
        }

        /** Authenticates as {@code user} with the password stored under key id {@code passwordKey}. */
        public Builder login(String user, String passwordKey, CredentialSource credentials) {
            this.username = Objects.requireNonNull(user, "user");
            this.passwordKey = Objects.requireNonNull(passwordKey, "passwordKey");
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        public Builder from(String address) {
            this.from = address;
            return this;
        }

        public Builder to(List<String> addresses) {
            this.to = List.copyOf(addresses);
            return this;
        }

        /** Adds an HTML alternative to the plain-text body (default text only). */
        public Builder html(boolean value) {
            this.html = value;
            return this;
        }

        /** Connect and read/write timeouts (default 5 s and 10 s). */
        public Builder timeouts(Duration connect, Duration read) {
            this.connectTimeout = Objects.requireNonNull(connect, "connect");
            this.readTimeout = Objects.requireNonNull(read, "read");
            return this;
        }

        /** TLS sockets from {@code value} instead of the JVM default (a private CA; tests trusting their server). */
        public Builder sslSocketFactory(SSLSocketFactory value) {
            this.sslSocketFactory = Objects.requireNonNull(value, "sslSocketFactory");
            return this;
        }

        public MailChannel build() {
            return new MailChannel(this);
        }
    }
}
