package com.dbmetrics.api.auth;

import java.util.List;
import java.util.Set;

/**
 * Who is asking: the token's {@code sub}, the {@code domain/project} tenants it may read ({@code acme/*} grants every
 * project of a domain) and its roles.
 */
public record Principal(String userId, List<String> tenants, Set<String> roles) {

    public static final String ADMIN = "admin";

    public Principal {
        tenants = List.copyOf(tenants);
        roles = Set.copyOf(roles);
    }

    public boolean canRead(String domain, String project) {
        for (String tenant : tenants) {
            int slash = tenant.indexOf('/');
            if (slash <= 0) {
                continue;
            }
            String d = tenant.substring(0, slash);
            String p = tenant.substring(slash + 1);
            if (d.equals(domain) && (p.equals("*") || p.equals(project))) {
                return true;
            }
        }
        return false;
    }

    public boolean isAdmin() {
        return roles.contains(ADMIN);
    }
}
