// Reads keycloak/mcp-realm.json — the same file Keycloak imports — into the few facts the
// stand-in needs. Nothing about users, clients, roles or scopes is written anywhere else.
import { readFileSync } from 'node:fs';

const REGISTRATION_POLICY = 'org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy';

export function loadRealm(path) {
  const raw = JSON.parse(readFileSync(path, 'utf8'));

  const users = new Map();
  for (const u of raw.users ?? []) {
    const password = (u.credentials ?? []).find((c) => c.type === 'password')?.value;
    users.set(u.username, {
      username: u.username,
      password,
      enabled: u.enabled !== false,
      email: u.email,
      emailVerified: u.emailVerified === true,
      firstName: u.firstName,
      lastName: u.lastName,
      realmRoles: u.realmRoles ?? [],
      clientRoles: u.clientRoles ?? {},
      // Keycloak's service-account user: the roles a client has when it acts for itself.
      serviceAccountOf: u.serviceAccountClientId,
    });
  }

  const scopes = new Map();
  for (const s of raw.clientScopes ?? []) {
    const audiences = (s.protocolMappers ?? [])
      .filter((m) => m.protocolMapper === 'oidc-audience-mapper' && m.config?.['access.token.claim'] !== 'false')
      .map((m) => m.config['included.client.audience'])
      .filter(Boolean);
    scopes.set(s.name, {
      name: s.name,
      includeInTokenScope: s.attributes?.['include.in.token.scope'] !== 'false',
      audiences,
      gatedBy: [], // filled from clientScopeMappings below: [{ client, role }]
    });
  }
  for (const [client, mappings] of Object.entries(raw.clientScopeMappings ?? {})) {
    for (const { clientScope, roles } of mappings) {
      const scope = scopes.get(clientScope);
      if (scope) for (const role of roles) scope.gatedBy.push({ client, role });
    }
  }

  const clients = new Map();
  for (const c of raw.clients ?? []) {
    clients.set(c.clientId, {
      clientId: c.clientId,
      secret: c.secret,
      publicClient: c.publicClient === true,
      redirectPatterns: c.redirectUris ?? [],
      standardFlow: c.standardFlowEnabled !== false,
      directAccess: c.directAccessGrantsEnabled === true,
      serviceAccounts: c.serviceAccountsEnabled === true,
      consentRequired: c.consentRequired === true,
      webOrigins: c.webOrigins ?? [],
      pkce: c.attributes?.['pkce.code.challenge.method'] === 'S256',
      // "Require DPoP bound tokens" (Capability config).
      dpopBound: c.attributes?.['dpop.bound.access.tokens'] === 'true',
      // client-secret (client_secret_basic/post) or client-jwt (private_key_jwt, keys from jwks.string).
      authenticator: c.clientAuthenticatorType ?? 'client-secret',
      jwks: c.attributes?.['use.jwks.string'] === 'true' ? JSON.parse(c.attributes['jwks.string']) : undefined,
      assertionAlg: c.attributes?.['token.endpoint.auth.signing.alg'],
      defaultScopes: c.defaultClientScopes ?? raw.defaultDefaultClientScopes ?? [],
      optionalScopes: c.optionalClientScopes ?? raw.defaultOptionalClientScopes ?? [],
    });
  }

  const anonymous = (raw.components?.[REGISTRATION_POLICY] ?? []).filter((p) => p.subType === 'anonymous');
  const policy = (id) => anonymous.find((p) => p.providerId === id);
  const registration = {
    trustedHosts: policy('trusted-hosts')?.config?.['trusted-hosts'] ?? [],
    clientUrisMustMatch: policy('trusted-hosts')?.config?.['client-uris-must-match']?.[0] === 'true',
    allowedScopes: policy('allowed-client-templates')?.config?.['allowed-client-scopes'] ?? null,
    consentRequired: Boolean(policy('consent-required')),
    // Dynamically registered clients get the realm's default scopes, as in Keycloak.
    defaultScopes: raw.defaultDefaultClientScopes ?? [],
    optionalScopes: raw.defaultOptionalClientScopes ?? [],
  };

  // Client policies: a profile with the pkce-enforcer executor, applied by an enabled policy
  // whose condition is any-client, makes PKCE (S256) mandatory for every client.
  const pkceProfiles = new Set((raw.clientProfiles?.profiles ?? [])
    .filter((p) => (p.executors ?? []).some((e) => e.executor === 'pkce-enforcer'))
    .map((p) => p.name));
  const pkceForEveryClient = (raw.clientPolicies?.policies ?? []).some((p) => p.enabled !== false
    && (p.conditions ?? []).some((c) => c.condition === 'any-client')
    && (p.profiles ?? []).some((name) => pkceProfiles.has(name)));

  return {
    name: raw.realm,
    pkceForEveryClient,
    accessTokenLifespan: raw.accessTokenLifespan ?? 300,
    users,
    clients,
    scopes,
    registration,

    /** The realm's view of a client; registered clients get the registration defaults. */
    client(clientId) {
      return clients.get(clientId) ?? {
        clientId,
        registered: true,
        consentRequired: registration.consentRequired,
        standardFlow: true,
        directAccess: false,
        defaultScopes: registration.defaultScopes,
        optionalScopes: registration.optionalScopes,
        redirectPatterns: [],
      };
    },

    /**
     * May this user sign in with this password? Never a service-account user (it has no
     * password: `undefined === undefined` must not log anyone in), never a disabled one.
     */
    passwordMatches(user, given) {
      return Boolean(user && user.enabled && !user.serviceAccountOf
        && typeof user.password === 'string' && user.password.length > 0 && given === user.password);
    },

    /** The service-account user of a client (its roles gate the scopes of client-credentials tokens). */
    serviceAccount(clientId) {
      return [...users.values()].find((u) => u.serviceAccountOf === clientId);
    },

    userHasClientRole(user, client, role) {
      return (user.clientRoles[client] ?? []).includes(role);
    },

    /** Keycloak: a client scope with role scope-mappings applies only to users holding one of them. */
    scopePermitted(scopeName, user) {
      const scope = scopes.get(scopeName);
      if (!scope) return false;
      if (scope.gatedBy.length === 0) return true;
      if (!user) return false;
      return scope.gatedBy.some(({ client, role }) => this.userHasClientRole(user, client, role));
    },

    /**
     * The client scopes a token gets: the client's default scopes, plus the requested optional
     * ones, each only if the user's roles permit it. Unknown or unpermitted scopes are dropped
     * silently, as Keycloak does.
     */
    effectiveScopes(clientId, user, requested) {
      const c = this.client(clientId);
      const wanted = [...c.defaultScopes, ...requested.filter((s) => c.optionalScopes.includes(s))];
      return [...new Set(wanted)].filter((s) => this.scopePermitted(s, user));
    },

    /** Must this client use PKCE (S256)? The realm's client policy, or the client's own attribute. */
    pkceRequired(clientId) {
      return pkceForEveryClient || clients.get(clientId)?.pkce === true;
    },

    /** Audiences from the audience mappers of the given client scopes. */
    audiences(scopeNames) {
      return [...new Set(scopeNames.flatMap((s) => scopes.get(s)?.audiences ?? []))];
    },

    /** The `scope` claim: openid (if asked) and every effective scope marked include.in.token.scope. */
    tokenScope(scopeNames, openid) {
      const shown = scopeNames.filter((s) => scopes.get(s)?.includeInTokenScope);
      return [...(openid ? ['openid'] : []), ...shown].join(' ');
    },

    /**
     * Keycloak's redirect URI matching: a trailing '*' is a prefix match ("http://127.0.0.1:*"
     * allows any loopback port and path); otherwise the URI must be equal, except that the port
     * of a loopback URI may differ (RFC 8252 §7.3: native apps get an ephemeral port). A URI
     * with a fragment or with userinfo never matches.
     */
    redirectAllowed(patterns, uri) {
      let target;
      try { target = new URL(uri); } catch { return false; }
      // userinfo would let "http://127.0.0.1:80@evil.example/" pass a prefix test, and a
      // backslash "http://127.0.0.1:1\\@evil.example/" (a browser reads it as a path, other
      // parsers as userinfo); whitespace and control characters have no business there either.
      if (target.username || target.password || uri.includes('#')) return false;
      if (/[\\\s\u0000-\u001f\u007f]/.test(uri)) return false;
      return patterns.some((pattern) => {
        if (pattern.endsWith('*')) return uri.startsWith(pattern.slice(0, -1));
        let p;
        try { p = new URL(pattern); } catch { return false; }
        const loopback = isLoopbackHost(p.hostname);
        return p.protocol === target.protocol && p.hostname === target.hostname
          && (p.port === target.port || loopback)
          && p.pathname === target.pathname && p.search === target.search;
      });
    },

    /**
     * The origins a browser page of this client may call the provider from (CORS): the
     * client's web origins, where '+' means "the origins of its redirect URIs"; a registered
     * client gets the origins of its redirect URIs.
     */
    originAllowed(clientId, redirectUris, origin) {
      const known = clients.get(clientId);
      const listed = known ? known.webOrigins : ['+'];
      const uris = known ? known.redirectPatterns : redirectUris;
      return listed.some((entry) => {
        if (entry === '*') return true;
        if (entry !== '+') return entry === origin;
        return uris.some((uri) => {
          if (uri.endsWith(':*')) { // "http://127.0.0.1:*": that host, any port
            return origin.startsWith(uri.slice(0, -1)) && /^\d+$/.test(origin.slice(uri.length - 1));
          }
          try { return new URL(uri.replace(/\*$/, '')).origin === origin; } catch { return false; }
        });
      });
    },
  };
}

export function isLoopbackHost(hostname) {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname);
}
