package dev.assistant.security.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Named policies and their attachments to key groups. Immutable; attachments that name an unknown policy fail
 * when the registry is built, not when a request arrives.
 */
public final class PolicyRegistry {
    private final Map<String, Policy> policies;
    private final Map<String, List<Policy>> groupPolicies;

    private PolicyRegistry(Map<String, Policy> policies, Map<String, List<Policy>> groupPolicies) {
        this.policies = Map.copyOf(policies);
        this.groupPolicies = Map.copyOf(groupPolicies);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A registry with no policies (every authorization is a default deny). */
    public static PolicyRegistry empty() {
        return builder().build();
    }

    /** Whether a policy of that name exists. */
    public boolean contains(String name) {
        return policies.containsKey(name);
    }

    /**
     * The policies that apply to a key: those attached to it by name, then those of its groups (duplicates
     * removed, order kept).
     *
     * @throws IllegalArgumentException when a key names a policy that does not exist
     */
    public List<Policy> resolve(Collection<String> keyPolicies, Collection<String> groups) {
        List<Policy> result = new ArrayList<>(keyPolicies.size() + groups.size());
        for (String name : keyPolicies) {
            Policy policy = policies.get(name);
            if (policy == null) {
                throw new IllegalArgumentException("unknown policy '" + name + "'");
            }
            if (!result.contains(policy)) {
                result.add(policy);
            }
        }
        for (String group : groups) {
            for (Policy policy : groupPolicies.getOrDefault(group, List.of())) {
                if (!result.contains(policy)) {
                    result.add(policy);
                }
            }
        }
        return List.copyOf(result);
    }

    /** Collects policies and group attachments. */
    public static final class Builder {
        private final Map<String, Policy> policies = new LinkedHashMap<>();
        private final Map<String, List<String>> groups = new LinkedHashMap<>();
        private final PolicyParser parser;

        private Builder() {
            this.parser = PolicyParser.standard();
        }

        /** Parses and adds {@code json} as policy {@code name}; throws {@link InvalidPolicyException} if malformed. */
        public Builder policy(String name, String json) {
            return policy(parser.parse(name, json));
        }

        public Builder policy(Policy policy) {
            if (policies.putIfAbsent(policy.name(), policy) != null) {
                throw new IllegalArgumentException("policy '" + policy.name() + "' is defined twice");
            }
            return this;
        }

        /** Attaches policy {@code policyName} to every key of {@code group}. */
        public Builder attachToGroup(String group, String policyName) {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(policyName, "policyName");
            groups.computeIfAbsent(group, g -> new ArrayList<>()).add(policyName);
            return this;
        }

        public PolicyRegistry build() {
            Map<String, List<Policy>> resolved = new LinkedHashMap<>();
            groups.forEach((group, names) -> {
                List<Policy> list = new ArrayList<>();
                for (String name : names) {
                    Policy policy = policies.get(name);
                    if (policy == null) {
                        throw new IllegalArgumentException("group '" + group + "' is attached to unknown policy '"
                                + name + "'");
                    }
                    list.add(policy);
                }
                resolved.put(group, List.copyOf(list));
            });
            return new PolicyRegistry(policies, resolved);
        }
    }
}
