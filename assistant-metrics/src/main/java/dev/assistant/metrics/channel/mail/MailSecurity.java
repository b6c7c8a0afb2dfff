package dev.assistant.metrics.channel.mail;

/** How the SMTP connection is protected. */
public enum MailSecurity {
    /** Plain SMTP (only for a relay on a trusted network, typically port 25). */
    NONE,
    /** SMTP upgraded with STARTTLS, which must succeed (port 587). */
    STARTTLS,
    /** SMTP inside TLS from the first byte (port 465). */
    SMTPS
}
