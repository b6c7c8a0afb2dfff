package dev.assistant.api.security;

/**
 * The outcome of evaluating policies for one action on one resource.
 *
 * @param allowed        whether the action is permitted
 * @param action         the action asked for
 * @param resource       the resource asked for
 * @param policy         the policy of the deciding statement, or {@code null} when nothing matched (default deny)
 * @param statementIndex the 0-based index of the deciding statement in that policy, or -1
 * @param sid            the deciding statement's id, or {@code null}
 */
public record Decision(boolean allowed, Action action, String resource, String policy, int statementIndex,
                       String sid) {

    /** Whether the decision is a default deny (no statement matched). */
    public boolean isDefaultDeny() {
        return !allowed && policy == null;
    }

    /** A human-readable account, e.g. {@code denied by policy p statement[1]}. Contains no secrets. */
    public String explain() {
        String verdict = allowed ? "allowed" : "denied";
        if (policy == null) {
            return verdict + ": no statement allows " + action + " on " + resource;
        }
        return verdict + " by policy " + policy + " statement[" + statementIndex + "]" + (sid == null ? "" : " (" + sid + ")");
    }
}
