package dev.assistant.security.policy;

import java.util.List;
import java.util.Objects;

/**
 * A named, parsed access policy: version {@code 2.0} and a list of statements. Immutable; made by
 * {@link PolicyParser}, which rejects malformed documents when they are loaded.
 */
public final class Policy {
    private final String name;
    private final List<Statement> statements;

    Policy(String name, List<Statement> statements) {
        this.name = Objects.requireNonNull(name, "name");
        this.statements = List.copyOf(statements);
    }

    public String name() {
        return name;
    }

    public List<Statement> statements() {
        return statements;
    }

    @Override
    public String toString() {
        return "Policy[" + name + ", " + statements.size() + " statement(s)]";
    }
}
