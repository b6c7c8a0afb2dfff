package dev.assistant.api.security;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An operation a caller asks for, named {@code service:Operation} as in the deployment guide's policies.
 * Compared case-insensitively (as cloud access-management systems do for actions).
 */
public final class Action {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*:[A-Za-z][A-Za-z0-9]*");

    public static final Action CHAT = new Action("assistant:Chat");
    public static final Action GENERATE = new Action("assistant:Generate");
    public static final Action EMBED = new Action("assistant:Embed");
    public static final Action QUANTIZE = new Action("assistant:Quantize");
    /** Loading a new version of a served model (the server's admin reload). */
    public static final Action RELOAD_MODEL = new Action("assistant:ReloadModel");

    /** The actions the SDK performs; policy parsing rejects other literal action names as typos. */
    public static final Set<Action> KNOWN = Set.of(CHAT, GENERATE, EMBED, QUANTIZE, RELOAD_MODEL);

    private final String name;
    private final String lowerName;

    private Action(String name) {
        this.name = name;
        this.lowerName = name.toLowerCase(java.util.Locale.ROOT);
    }

    /** An action named {@code service:Operation} (no wildcards). */
    public static Action of(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("action must look like service:Operation; was '" + name + "'");
        }
        for (Action known : KNOWN) {
            if (known.name.equalsIgnoreCase(name)) {
                return known;
            }
        }
        return new Action(name);
    }

    public String name() {
        return name;
    }

    /** The name in lower case, which matching uses. */
    public String lowerName() {
        return lowerName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Action a && a.lowerName.equals(lowerName);
    }

    @Override
    public int hashCode() {
        return lowerName.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
