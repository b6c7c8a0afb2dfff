package dev.assistant.security.policy;

/** What a matching statement does. An explicit {@link #DENY} beats any {@link #ALLOW}. */
public enum Effect {
    ALLOW,
    DENY
}
