package dev.assistant.security.policy;

import dev.assistant.api.security.Action;
import java.util.List;
import java.util.Objects;

/**
 * One statement of a {@link Policy}: an effect on actions and resources, each a list of patterns where {@code *}
 * matches any characters. Immutable; made by {@link PolicyParser}.
 */
public final class Statement {
    private final String sid;
    private final Effect effect;
    private final List<String> actions;
    private final List<String> resources;
    private final Glob[] actionGlobs;
    private final Glob[] resourceGlobs;

    Statement(String sid, Effect effect, List<String> actions, List<String> resources) {
        this.sid = sid;
        this.effect = Objects.requireNonNull(effect, "effect");
        this.actions = List.copyOf(actions);
        this.resources = List.copyOf(resources);
        this.actionGlobs = actions.stream().map(a -> Glob.of(a, true)).toArray(Glob[]::new);
        this.resourceGlobs = resources.stream().map(r -> Glob.of(r, false)).toArray(Glob[]::new);
    }

    /** The optional statement id ({@code sid}), or {@code null}. */
    public String sid() {
        return sid;
    }

    public Effect effect() {
        return effect;
    }

    public List<String> actions() {
        return actions;
    }

    public List<String> resources() {
        return resources;
    }

    /** Whether this statement applies to {@code action} on {@code resource}. */
    public boolean matches(Action action, String resource) {
        return any(actionGlobs, action.lowerName()) && any(resourceGlobs, resource);
    }

    private static boolean any(Glob[] globs, String text) {
        for (Glob glob : globs) {
            if (glob.matches(text)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "Statement[" + (sid == null ? "" : sid + ", ") + effect + " " + actions + " on " + resources + "]";
    }
}
