package dev.assistant.metrics.channel.mail;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Severity;
import dev.assistant.metrics.route.ChannelException;
import dev.assistant.metrics.route.EnvCredentials;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The e-mail channel against a real SMTP server (GreenMail) on loopback: plain SMTP, SMTPS with authentication and
 * a certificate for 127.0.0.1 that only this test trusts, STARTTLS refused when the server cannot do it.
 */
class MailChannelTest {
    static final String PASSWORD = "smtp-Pa55word-never-logged";
    static final AlertEvent EVENT = new AlertEvent("high_memory", Severity.CRITICAL, AlertEvent.Status.FIRING, false,
            0.934, 0.9, "system memory used", "93.4%", "90.0%", "Memory <is> high & rising.",
            Instant.parse("2026-01-01T00:05:00Z"), Instant.parse("2026-01-01T00:05:00Z"), List.of("email"));

    @TempDir
    static Path dir;
    static GreenMail smtp;
    static SSLSocketFactory trustingTestCertificate;
    final EnvCredentials credentials = new EnvCredentials().put("smtp-password", PASSWORD);

    @BeforeAll
    static void startSmtpServers() throws Exception {
        Path keystore = dir.resolve("smtp-test.p12");
        // A fresh certificate for 127.0.0.1, so the channel's host-name check runs for real.
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "smtp", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(output).isZero();
        System.setProperty("greenmail.tls.keystore.file", keystore.toString());
        System.setProperty("greenmail.tls.keystore.password", "changeit");
        System.setProperty("greenmail.tls.key.password", "changeit");

        smtp = new GreenMail(new ServerSetup[]{loopback(ServerSetup.PROTOCOL_SMTP),
                loopback(ServerSetup.PROTOCOL_SMTPS)});
        smtp.setUser("alerts@example.com", "alerts", PASSWORD);
        smtp.start();

        KeyStore trusted = KeyStore.getInstance("PKCS12");
        KeyStore server = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            server.load(in, "changeit".toCharArray());
        }
        Certificate certificate = server.getCertificate("smtp");
        trusted.load(null, null);
        trusted.setCertificateEntry("smtp-test", certificate);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        trustingTestCertificate = context.getSocketFactory();
    }

    /** An ephemeral loopback port; a generous start-up wait, the machine may be busy (GreenMail's default is 2 s). */
    static ServerSetup loopback(String protocol) {
        ServerSetup setup = new ServerSetup(0, "127.0.0.1", protocol).dynamicPort();
        setup.setServerStartupTimeout(60_000);
        return setup;
    }

    @AfterAll
    static void stop() {
        if (smtp != null) {
            smtp.stop();
        }
    }

    @BeforeEach
    void purge() throws Exception {
        smtp.purgeEmailFromAllMailboxes();
    }

    @Test
    void plainSmtpDeliversATextMailToEveryRecipient() throws Exception {
        MailChannel channel = MailChannel.builder("email", "127.0.0.1", smtp.getSmtp().getPort(), MailSecurity.NONE)
                .from("alerts@example.com").to(List.of("oncall@example.com", "lead@example.org")).build();

        channel.deliver(EVENT);

        assertThat(smtp.waitForIncomingEmail(5000, 2)).isTrue();
        MimeMessage[] received = smtp.getReceivedMessages();
        assertThat(received).hasSize(2); // one copy per mailbox
        MimeMessage m = received[0];
        assertThat(Arrays.stream(m.getRecipients(Message.RecipientType.TO)).map(Object::toString))
                .containsExactly("oncall@example.com", "lead@example.org");
        assertThat(m.getFrom()[0].toString()).isEqualTo("alerts@example.com");
        assertThat(m.getSubject()).isEqualTo("[FIRING] high_memory (CRITICAL): system memory used 93.4%");
        assertThat(m.getHeader("X-Alert-Rule")).containsExactly("high_memory");
        assertThat(m.getContentType()).startsWith("text/plain");
        assertThat(GreenMailUtil.getBody(m)).contains("[FIRING] high_memory: system memory used 93.4% > 90.0%")
                .contains("Memory <is> high & rising.").contains("since:     2026-01-01T00:05:00Z");
    }

    @Test
    void smtpsWithAuthenticationDeliversTextAndHtmlToAServerOnlyTheTestTrusts() throws Exception {
        MailChannel channel = MailChannel.builder("email", "127.0.0.1", smtp.getSmtps().getPort(),
                        MailSecurity.SMTPS)
                .login("alerts", "smtp-password", credentials).from("alerts@example.com")
                .to(List.of("oncall@example.com")).html(true).sslSocketFactory(trustingTestCertificate).build();

        channel.deliver(EVENT);

        assertThat(smtp.waitForIncomingEmail(5000, 1)).isTrue();
        MimeMessage m = smtp.getReceivedMessages()[0];
        assertThat(m.getAllRecipients()).extracting(Object::toString).containsExactly("oncall@example.com");
        assertThat(m.getSubject()).isEqualTo("[FIRING] high_memory (CRITICAL): system memory used 93.4%");
        MimeMultipart alternative = (MimeMultipart) m.getContent();
        assertThat(alternative.getContentType()).startsWith("multipart/alternative");
        assertThat(alternative.getCount()).isEqualTo(2);
        assertThat(alternative.getBodyPart(0).getContentType()).startsWith("text/plain");
        assertThat((String) alternative.getBodyPart(0).getContent()).contains("Memory <is> high & rising.");
        assertThat(alternative.getBodyPart(1).getContentType()).startsWith("text/html");
        assertThat((String) alternative.getBodyPart(1).getContent())
                .contains("<p>Memory &lt;is&gt; high &amp; rising.</p>")
                .contains("<td>93.4%</td>");
    }

    @Test
    void smtpsRejectsACertificateTheJvmDoesNotTrust() {
        MailChannel channel = MailChannel.builder("email", "127.0.0.1", smtp.getSmtps().getPort(),
                        MailSecurity.SMTPS)
                .login("alerts", "smtp-password", credentials).from("alerts@example.com")
                .to(List.of("oncall@example.com")).build();

        assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                .hasMessageStartingWith("SMTP");
        assertThat(smtp.getReceivedMessages()).isEmpty();
    }

    @Test
    void aWrongPasswordFailsWithoutRevealingIt() {
        EnvCredentials wrong = new EnvCredentials().put("smtp-password", "wrong-" + PASSWORD);
        MailChannel channel = MailChannel.builder("email", "127.0.0.1", smtp.getSmtps().getPort(),
                        MailSecurity.SMTPS)
                .login("alerts", "smtp-password", wrong).from("alerts@example.com")
                .to(List.of("oncall@example.com")).sslSocketFactory(trustingTestCertificate).build();

        assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                .hasMessage("SMTP authentication failed")
                .satisfies(e -> assertThat(((ChannelException) e).transientFailure()).isFalse());
        assertThat(channel.toString()).doesNotContain(PASSWORD).doesNotContain("oncall@");
        assertThat(smtp.getReceivedMessages()).isEmpty();
    }

    @Test
    void starttlsIsRequiredSoAServerWithoutItGetsNothingInClear() {
        MailChannel channel = MailChannel.builder("email", "127.0.0.1", smtp.getSmtp().getPort(),
                        MailSecurity.STARTTLS)
                .login("alerts", "smtp-password", credentials).from("alerts@example.com")
                .to(List.of("oncall@example.com")).sslSocketFactory(trustingTestCertificate).build();

        assertThatThrownBy(() -> channel.deliver(EVENT)).isInstanceOf(ChannelException.class)
                .hasMessageStartingWith("SMTP").hasMessageNotContaining(PASSWORD);
        assertThat(smtp.getReceivedMessages()).isEmpty();
    }
}
