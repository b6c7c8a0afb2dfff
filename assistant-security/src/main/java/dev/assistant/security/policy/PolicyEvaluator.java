package dev.assistant.security.policy;

import dev.assistant.api.security.Decision;
import dev.assistant.api.security.Action;
import java.util.List;

/**
 * Evaluates policies: an explicit deny in any statement wins; otherwise an allow in any statement allows;
 * otherwise the answer is deny (default deny). Stateless and allocation-free except for the result.
 */
public final class PolicyEvaluator {
    private PolicyEvaluator() {
    }

    /** The decision for {@code action} on {@code resource} under all of {@code policies}. */
    public static Decision evaluate(List<Policy> policies, Action action, String resource) {
        String allowPolicy = null;
        int allowIndex = -1;
        String allowSid = null;
        for (int p = 0, np = policies.size(); p < np; p++) {
            Policy policy = policies.get(p);
            List<Statement> statements = policy.statements();
            for (int s = 0, ns = statements.size(); s < ns; s++) {
                Statement statement = statements.get(s);
                if (!statement.matches(action, resource)) {
                    continue;
                }
                if (statement.effect() == Effect.DENY) {
                    return new Decision(false, action, resource, policy.name(), s, statement.sid());
                }
                if (allowPolicy == null) {
                    allowPolicy = policy.name();
                    allowIndex = s;
                    allowSid = statement.sid();
                }
            }
        }
        return allowPolicy == null
                ? new Decision(false, action, resource, null, -1, null)
                : new Decision(true, action, resource, allowPolicy, allowIndex, allowSid);
    }
}
