// A Keycloak-shaped OpenID provider for machines without Docker.
//
//   node server.js [--port 8080] [--realm-file ../mcp-realm.json]     (PORT / REALM_FILE also work)
//                  [--signing-key-file FILE]  sign with the JWK in FILE (written there if missing;
//                                             STANDIN_SIGNING_KEY_FILE also works)
//
// Built on the `oidc-provider` package and configured from keycloak/mcp-realm.json, the realm
// file that real Keycloak imports: same issuer path, endpoint paths, token claim shapes, users,
// passwords, roles, clients, scope <-> role gates, audience mapper and registration policy.
//
// Keycloak's layout:
//   issuer              http://localhost:PORT/realms/mcp-realm
//   discovery           {issuer}/.well-known/openid-configuration
//                       {issuer}/.well-known/oauth-authorization-server
//                       /.well-known/oauth-authorization-server/realms/mcp-realm   (RFC 8414 path insertion)
//   endpoints           {issuer}/protocol/openid-connect/{auth,token,certs,userinfo,token/introspect,revoke,logout}
//                       (logout also takes Keycloak's POST with client_id and refresh_token)
//   registration        {issuer}/clients-registrations/openid-connect            (RFC 7591, anonymous)
//
// For tests (loopback only, not part of Keycloak):
//   POST /admin/rotate-keys            new signing key; the old one stays published for verification
//   GET  /admin/stats                  {"jwks_fetches": N, "introspections": N, "kids": [...]}
//   POST /admin/jwks-mode?mode=M       how the certs endpoint behaves: normal | hang | garbage | error
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

import { loadRealm, isLoopbackHost } from './realm.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PORT = Number(arg('port', process.env.PORT ?? 8080));
const HOST = arg('host', process.env.HOST ?? 'localhost');
const realm = loadRealm(resolve(arg('realm-file', process.env.REALM_FILE ?? resolve(here, '../mcp-realm.json'))));
const MOUNT = `/realms/${realm.name}`;
const ISSUER = `http://${HOST}:${PORT}${MOUNT}`;
const MCP_SCOPES = [...realm.scopes.keys()].filter((s) => s.startsWith('mcp:'));
const DEFAULT_RESOURCE = `urn:keycloak-standin:${realm.name}:audience`;

const log = (...parts) => console.log(new Date().toISOString(), ...parts);

// ---------------------------------------------------------------------------------------------
// Keys: RS256, kid = RFC 7638 thumbprint (as the servers compute it too).
function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  const kid = createHash('sha256').update(canonical).digest('base64url');
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}
// --signing-key-file FILE: sign with the key in FILE (a JWK, created there if missing), so
// that two stand-ins can share one key — the tests need a token that a server *trusts the
// signature of* but that comes from another issuer, so that only the issuer check can refuse it.
function initialSigningKey() {
  const file = arg('signing-key-file', process.env.STANDIN_SIGNING_KEY_FILE);
  if (!file) return newSigningKey();
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const key = newSigningKey();
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}
let signingKeys = [initialSigningKey()];
const cookieKeys = [randomBytes(32).toString('hex')];

// ---------------------------------------------------------------------------------------------
// Accounts: the realm's users.
function account(username) {
  const user = realm.users.get(username);
  if (!user) return undefined;
  return {
    accountId: username,
    async claims() {
      return {
        sub: username,
        preferred_username: username,
        name: `${user.firstName} ${user.lastName}`,
        given_name: user.firstName,
        family_name: user.lastName,
        email: user.email,
        email_verified: user.emailVerified,
      };
    },
  };
}

// Keycloak answers bad credentials on the password grant with 401 invalid_grant.
function invalidCredentials() {
  const err = new errors.InvalidGrant('Invalid user credentials');
  err.error_description = 'Invalid user credentials';
  err.status = 401;
  err.statusCode = 401;
  return err;
}

// ---------------------------------------------------------------------------------------------
// The grant that a login results in: the realm decides the scopes (defaults + requested
// optional ones that the user's roles permit); oidc-provider records them.
async function realmGrant(provider, { accountId, clientId, requested, resource }) {
  const user = realm.users.get(accountId);
  const effective = realm.effectiveScopes(clientId, user, requested);
  const grant = new provider.Grant({ accountId, clientId });
  const oidc = ['openid', 'offline_access', ...effective.filter((s) => !s.startsWith('mcp:'))]
    .filter((s) => s !== 'offline_access' || requested.includes('offline_access'));
  grant.addOIDCScope(oidc.join(' '));
  grant.addOIDCClaims(['sub', 'preferred_username', 'email', 'email_verified', 'name', 'given_name', 'family_name']);
  grant.addResourceScope(resource, effective.filter((s) => s.startsWith('mcp:')).join(' ') || 'mcp:none');
  return grant;
}

// `${accountId} ${clientId}` → the scopes the user confirmed on the consent page. A request for
// a scope not in that set shows the page again, as Keycloak does.
const consents = new Map();
const consented = (accountId, clientId, requested) => {
  const given = consents.get(`${accountId} ${clientId}`);
  return Boolean(given) && requested.every((s) => given.has(s));
};
const requestedScopes = (ctx) => String(ctx.oidc.params?.scope ?? '').split(' ').filter(Boolean);

function resourceOf(ctx) {
  const r = ctx.oidc.params?.resource;
  return (Array.isArray(r) ? r[0] : r) || DEFAULT_RESOURCE;
}

// ---------------------------------------------------------------------------------------------
// The resource server behind every access token: JWT, RS256, the realm's lifespan, and the
// audiences of the client's audience mappers (the requested resource only if there are none).
function resourceServerInfo(indicator, clientId) {
  const c = realm.client(clientId);
  const audience = realm.audiences([...c.defaultScopes, ...c.optionalScopes]);
  return {
    scope: [...MCP_SCOPES, 'mcp:none'].join(' '),
    // Replaced per token by the JWT customizer below (audiences of the scopes it got).
    audience: audience.length === 1 ? audience[0] : (audience.length ? audience : 'account'),
    accessTokenFormat: 'jwt',
    accessTokenTTL: realm.accessTokenLifespan,
    jwt: { sign: { alg: 'RS256' } },
  };
}

// ---------------------------------------------------------------------------------------------
function makeProvider() {
  const policy = interactionPolicy.base();
  const consent = policy.get('consent');
  consent.checks.clear();
  consent.checks.add(new interactionPolicy.Check(
    'realm_consent_required',
    'the realm requires the user to consent to this client',
    (ctx) => {
      const { session, client } = ctx.oidc;
      const needs = realm.client(client.clientId).consentRequired;
      return needs && !consented(session.accountId, client.clientId, requestedScopes(ctx))
        ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  ));

  const authentication = (c) => {
    if (c.publicClient) return { token_endpoint_auth_method: 'none' };
    if (c.authenticator === 'client-jwt') {
      return { token_endpoint_auth_method: 'private_key_jwt', jwks: c.jwks, token_endpoint_auth_signing_alg: c.assertionAlg };
    }
    return { client_secret: c.secret, token_endpoint_auth_method: 'client_secret_basic' };
  };
  const staticClients = [...realm.clients.values()].map((c) => ({
    client_id: c.clientId,
    ...authentication(c),
    ...(c.dpopBound ? { dpop_bound_access_tokens: true } : {}),
    grant_types: [
      ...(c.standardFlow ? ['authorization_code', 'refresh_token'] : []),
      ...(c.directAccess ? ['password', ...(c.standardFlow ? [] : ['refresh_token'])] : []),
      ...(c.serviceAccounts ? ['client_credentials'] : []),
    ],
    response_types: c.standardFlow ? ['code'] : [],
    // Keycloak patterns are matched by redirectUriAllowed below; this placeholder satisfies the schema.
    redirect_uris: c.standardFlow ? ['http://127.0.0.1/callback'] : [],
    application_type: 'native',
  }));

  const provider = new Provider(ISSUER, {
    clients: staticClients,
    findAccount: (_ctx, sub) => account(sub),
    jwks: { keys: signingKeys },
    cookies: { keys: cookieKeys },
    // Every realm scope is known to the provider; the mcp:* ones are also the resource server's
    // scopes, which is where they end up in access tokens.
    scopes: ['openid', 'offline_access', ...realm.scopes.keys()],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      jwks: '/protocol/openid-connect/certs',
      userinfo: '/protocol/openid-connect/userinfo',
      introspection: '/protocol/openid-connect/token/introspect',
      revocation: '/protocol/openid-connect/revoke',
      end_session: '/protocol/openid-connect/logout',
      registration: '/clients-registrations/openid-connect',
    },
    responseTypes: ['code'],
    // The realm's client policy (pkce-enforcer for any-client) or the client's own attribute.
    pkce: { required: (_ctx, client) => realm.pkceRequired(client.clientId) },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${MOUNT}/interaction/${interaction.uid}`,
    },
    loadExistingGrant: async (ctx) => {
      const { session, client } = ctx.oidc;
      if (!session?.accountId) return undefined;
      if (realm.client(client.clientId).consentRequired && !consented(session.accountId, client.clientId, requestedScopes(ctx))) {
        return undefined;
      }
      const requested = String(ctx.oidc.params.scope ?? '').split(' ').filter(Boolean);
      const grant = await realmGrant(ctx.oidc.provider, {
        accountId: session.accountId, clientId: client.clientId, requested, resource: resourceOf(ctx),
      });
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      introspection: {
        enabled: true,
        // Only confidential clients (the resource server echo-mcp-server) may introspect.
        allowedPolicy: (_ctx, client) => client.clientAuthMethod !== 'none',
      },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Keycloak ignores RFC 8707 `resource`; its audience comes from the audience mapper.
        // Any resource is accepted, and tokens always carry the realm's audiences.
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? DEFAULT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => resourceServerInfo(indicator, client.clientId),
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: realm.accessTokenLifespan,
      ClientCredentials: realm.accessTokenLifespan,
      AuthorizationCode: 60,
      IdToken: realm.accessTokenLifespan,
      RefreshToken: 1800,
      Grant: 1800,
      Interaction: 600,
      Session: 1800,
    },
    // CORS for a browser page only from the client's web origins (Keycloak's webOrigins).
    clientBasedCORS: (_ctx, origin, client) => realm.originAllowed(client.clientId, client.redirectUris ?? [], origin),
    formats: {
      customizers: {
        // Keycloak's access token shape: typ JWT; azp; preferred_username; realm_access and
        // resource_access roles; `scope` listing openid and the scopes shown in tokens.
        jwt: async (ctx, token, jwt) => {
          jwt.header = { typ: 'JWT' };
          const { payload } = jwt;
          payload.azp = token.clientId;
          payload.typ = 'Bearer';
          delete payload.client_id;
          // Keycloak's tokens name their session (sid); introspection then ends with it.
          if (token.sessionUid) payload.sid = token.sessionUid;
          if (token.grantId && payload.jti) rememberGrant(payload.jti, token.grantId, payload.exp);
          // Client credentials: the client's service-account user (its roles gate the scopes).
          const serviceAccount = token.accountId ? undefined : realm.serviceAccount(token.clientId);
          const user = token.accountId ? realm.users.get(token.accountId) : serviceAccount;
          const grant = token.grantId ? await ctx.oidc.provider.Grant.find(token.grantId) : undefined;
          const oidcScopes = grant ? String(grant.getOIDCScope() ?? '').split(' ').filter(Boolean) : [];
          const granted = [...oidcScopes, ...String(token.scope ?? '').split(' ').filter((s) => s.startsWith('mcp:') && s !== 'mcp:none')];
          const effective = serviceAccount
            ? realm.effectiveScopes(token.clientId, serviceAccount, granted)
            : user
              ? granted.filter((s) => s === 'openid' || realm.scopes.has(s))
              : realm.client(token.clientId).defaultScopes;
          payload.scope = realm.tokenScope(effective.filter((s) => s !== 'openid'), oidcScopes.includes('openid')) || undefined;
          // The audience comes from the audience mappers of the scopes this token got (they sit on
          // the mcp:* scopes): a token with no mcp:* scope is not for the MCP server at all.
          // (Keycloak then says "account"; oidc-provider insists on some audience in a JWT.)
          const audiences = realm.audiences(effective);
          payload.aud = audiences.length === 1 ? audiences[0] : (audiences.length ? audiences : 'account');
          if (user) {
            payload.preferred_username = user.username;
            if (!serviceAccount) {
              payload.email = user.email;
              payload.email_verified = user.emailVerified;
              payload.name = `${user.firstName} ${user.lastName}`;
            }
            if (effective.includes('roles') || realm.client(token.clientId).defaultScopes.includes('roles')) {
              payload.realm_access = { roles: user.realmRoles };
              payload.resource_access = Object.fromEntries(
                Object.entries(user.clientRoles).map(([c, roles]) => [c, { roles }]),
              );
            }
          } else {
            payload.preferred_username = `service-account-${token.clientId}`;
          }
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set('x-frame-options', 'DENY');
      ctx.set('content-security-policy', "frame-ancestors 'none'");
      ctx.body = page('Error', `<p id="error">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
    },
  });

  // The password grant ("direct access grant") is not built into oidc-provider.
  provider.registerGrantType('password', async (ctx) => {
    const { client, params } = ctx.oidc;
    if (!realm.client(client.clientId).directAccess) {
      throw new errors.UnauthorizedClient('Client not allowed for direct access grants');
    }
    const user = realm.users.get(params.username);
    if (!realm.passwordMatches(user, params.password)) throw invalidCredentials();
    const requested = String(params.scope ?? '').split(' ').filter(Boolean);
    const resource = (Array.isArray(params.resource) ? params.resource[0] : params.resource) || DEFAULT_RESOURCE;
    const grant = await realmGrant(provider, { accountId: user.username, clientId: client.clientId, requested, resource });
    const grantId = await grant.save();
    const accessToken = new provider.AccessToken({
      accountId: user.username,
      client,
      grantId,
      gty: 'password',
      scope: grant.getResourceScopeFiltered(resource, [...MCP_SCOPES, 'mcp:none']) || undefined,
      resourceServer: new provider.ResourceServer(resource, resourceServerInfo(resource, client.clientId)),
    });
    const value = await accessToken.save();
    const body = {
      access_token: value,
      expires_in: accessToken.expiration,
      refresh_expires_in: 1800,
      token_type: 'Bearer',
      scope: realm.tokenScope(realm.effectiveScopes(client.clientId, user, requested), requested.includes('openid')),
    };
    if (client.grantTypeAllowed('refresh_token')) {
      const refresh = new provider.RefreshToken({
        accountId: user.username, client, grantId, gty: 'password', scope: grant.getOIDCScope(),
        resource, rotations: 0, iiat: Math.floor(Date.now() / 1000),
      });
      body.refresh_token = await refresh.save();
    }
    ctx.body = body;
  }, ['username', 'password', 'scope', 'resource'], ['resource']);

  // Logout (end_session) and refresh-token revocation revoke the grant: every access token
  // issued under it is inactive from then on, as in Keycloak.
  provider.on('grant.revoked', (_ctx, grantId) => {
    revokedGrants.add(grantId);
    log(`grant ${grantId} revoked: its access tokens are inactive`);
  });

  // What each successful token request carried — parameter names, never their secret values —
  // so a test can assert on what the provider received rather than on what a client says it sent.
  provider.on('grant.success', (ctx) => {
    const params = ctx.oidc.params ?? {};
    const present = Object.keys(params).filter((k) => params[k] !== undefined).sort();
    const auth = String(ctx.headers.authorization ?? '').toLowerCase().startsWith('basic ')
      ? 'client_secret_basic' : (params.client_secret ? 'client_secret_post' : 'none');
    log(`token request received: grant_type=${params.grant_type} client_id=${ctx.oidc.client?.clientId} `
      + `parameters=[${present.join(',')}] resource=${params.resource ?? '-'} `
      + `redirect_uri=${params.redirect_uri ?? '-'} client_auth=${auth}`);
  });

  for (const event of ['server_error', 'grant.error', 'registration_create.error', 'introspection.error']) {
    provider.on(event, (_ctx, err) => log(`${event}: ${err.error ?? ''} ${err.error_description ?? ''} ${err.status >= 500 || !err.status ? err.stack : ''}`));
  }

  // Keycloak-style redirect URI patterns for the realm's own clients.
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
    const known = realm.clients.get(this.clientId);
    // Registered clients: exact match, except the port of a loopback URI (RFC 8252 §7.3).
    return realm.redirectAllowed(known ? known.redirectPatterns : this.redirectUris, uri);
  };
  return provider;
}

let provider = makeProvider();
let providerHandler = provider.callback();

// ---------------------------------------------------------------------------------------------
// Login and consent pages: plain HTML forms that a browser — or curl — can fill in.
function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}<p><small>Keycloak stand-in · realm ${escape(realm.name)}</small></p></body></html>`;
}
function loginPage(uid, client, error) {
  return page(`Sign in to ${realm.name}`, `${error ? `<p id="input-error">${escape(error)}</p>` : ''}
<p>Client: <code>${escape(client)}</code></p>
<form id="kc-form-login" method="post" action="${MOUNT}/interaction/${uid}/login">
  <label>Username <input name="username" autofocus></label>
  <label>Password <input name="password" type="password"></label>
  <button type="submit" name="login">Sign In</button>
</form>`);
}
function consentPage(uid, client, scopes) {
  return page(`Grant access to ${client}`, `<p>Do you grant these access privileges?</p>
<ul>${scopes.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<form id="kc-oauth" method="post" action="${MOUNT}/interaction/${uid}/confirm">
  <button type="submit" name="accept" value="yes">Yes</button>
</form>
<form method="post" action="${MOUNT}/interaction/${uid}/abort"><button type="submit" name="cancel">No</button></form>`);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
async function readForm(req) {
  return new URLSearchParams(await readBody(req));
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  const headers = { 'content-type': type, 'cache-control': 'no-store' };
  if (type.startsWith('text/html')) {
    // Login and consent pages must not be framed by another site (clickjacking), as Keycloak's.
    headers['x-frame-options'] = 'DENY';
    headers['content-security-policy'] = "frame-ancestors 'none'";
  }
  res.writeHead(status, headers);
  res.end(body);
}

async function interaction(req, res, rest) {
  const [uid, action] = rest.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Error', '<p>interaction mismatch</p>'));
  const clientId = details.params.client_id;
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') return send(res, 200, loginPage(uid, clientId));
    const user = realm.users.get(details.session?.accountId);
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    return send(res, 200, consentPage(uid, clientId, realm.effectiveScopes(clientId, user, requested)));
  }
  if (action === 'login') {
    const form = await readForm(req);
    const user = realm.users.get(form.get('username') ?? '');
    if (!realm.passwordMatches(user, form.get('password'))) {
      log(`login failed for ${JSON.stringify(form.get('username') ?? '')}`);
      return send(res, 200, loginPage(uid, clientId, 'Invalid username or password.'));
    }
    log(`login ${user.username} for client ${clientId}`);
    return provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    const accountId = details.session.accountId;
    const key = `${accountId} ${clientId}`;
    consents.set(key, new Set([...(consents.get(key) ?? []), ...String(details.params.scope ?? '').split(' ').filter(Boolean)]));
    log(`consent given by ${accountId} to client ${clientId}`);
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    const resource = (Array.isArray(details.params.resource) ? details.params.resource[0] : details.params.resource) || DEFAULT_RESOURCE;
    const grant = await realmGrant(provider, { accountId, clientId, requested, resource });
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  }
  return send(res, 404, page('Not found', ''));
}

// ---------------------------------------------------------------------------------------------
// Registration policy (anonymous): trusted hosts and allowed client scopes, from the realm.
// The body is parsed here and handed on as req.body, which oidc-provider accepts.
async function checkRegistration(req) {
  const remote = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  const trusted = realm.registration.trustedHosts.some((h) => h === remote || (h === 'localhost' && (remote === '127.0.0.1' || remote === '::1')));
  if (!trusted) return 'Policy \'Trusted Hosts\' rejected request to client-registration service. Details: Host not trusted.';
  try {
    req.body = JSON.parse(await readBody(req));
  } catch {
    return null; // not JSON: oidc-provider answers invalid_client_metadata itself
  }
  if (realm.registration.clientUrisMustMatch) {
    // Trusted Hosts with client-uris-must-match: every redirect URI must point to a trusted host.
    const hosts = realm.registration.trustedHosts;
    const untrusted = (req.body.redirect_uris ?? []).find((uri) => {
      let host;
      try { host = new URL(uri).hostname.replace(/^\[|\]$/g, ''); } catch { return true; }
      return !(hosts.includes(host) || (hosts.includes('localhost') && isLoopbackHost(host)));
    });
    if (untrusted !== undefined) {
      return 'Policy \'Trusted Hosts\' rejected request to client-registration service. Details: URL doesn\'t match any trusted host or trusted domain';
    }
  }
  const allowed = realm.registration.allowedScopes;
  const asked = String(req.body.scope ?? '').split(' ').filter(Boolean);
  if (allowed && asked.some((s) => !allowed.includes(s) && s !== 'openid' && s !== 'offline_access')) {
    return 'Policy \'Allowed Client Scopes\' rejected request to client-registration service. Details: Not permitted to use specified clientScope';
  }
  // Like Keycloak, a registered client is assigned the realm's default and optional client
  // scopes; which of them a token gets is then decided per user, by role.
  const { defaultScopes, optionalScopes } = realm.registration;
  req.body.scope = [...new Set(['openid', 'offline_access', ...defaultScopes, ...optionalScopes])].join(' ');
  return null;
}

function keycloakError(res, status, error, description) {
  send(res, status, JSON.stringify({ error, error_description: description }), 'application/json');
}


// ---------------------------------------------------------------------------------------------
// Introspection and revocation of JWT access tokens. oidc-provider does not introspect or
// revoke its structured (JWT) access tokens; Keycloak does both, so the stand-in answers these
// itself for JWTs (signature by one of our keys, not expired, not revoked) and hands every
// other token (refresh tokens) to oidc-provider.
const revokedJtis = new Map(); // jti -> exp
const revokedGrants = new Set(); // grant ids ended by logout or revocation
const grantOfJti = new Map(); // jti -> { grantId, exp }

function rememberGrant(jti, grantId, exp) {
  const now = Math.floor(Date.now() / 1000);
  if (grantOfJti.size > 10000) {
    for (const [j, g] of grantOfJti) if (g.exp <= now) grantOfJti.delete(j);
  }
  grantOfJti.set(jti, { grantId, exp });
}

function tokenActive(claims) {
  const now = Math.floor(Date.now() / 1000);
  const grant = grantOfJti.get(claims.jti);
  return claims.exp > now && !revokedJtis.has(claims.jti) && !(grant && revokedGrants.has(grant.grantId));
}

function verifyOurJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const key = signingKeys.find((k) => k.kid === header.kid);
  if (!key || header.alg !== 'RS256') return undefined;
  const { d, p, q, dp, dq, qi, ...publicJwk } = key;
  const ok = verifySignature('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`),
    createPublicKey({ key: publicJwk, format: 'jwk' }), Buffer.from(parts[2], 'base64url'));
  return ok && claims.iss === ISSUER ? claims : undefined;
}

function clientCredentials(req, form) {
  const auth = req.headers.authorization ?? '';
  if (auth.toLowerCase().startsWith('basic ')) {
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }
  return { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? undefined };
}

let introspections = 0; // every introspection request, counted for /admin/stats

async function jwtIntrospectOrRevoke(req, res, inner) {
  if (inner.startsWith('/protocol/openid-connect/token/introspect')) introspections += 1;
  const raw = await readBody(req);
  const form = new URLSearchParams(raw);
  const token = form.get('token') ?? '';
  const claims = verifyOurJwt(token);
  if (!claims) {
    req.body = Object.fromEntries(form);  // not one of our JWTs: oidc-provider decides
    return false;
  }
  const { id, secret } = clientCredentials(req, form);
  const known = realm.clients.get(id);
  if (inner.startsWith('/protocol/openid-connect/token/introspect')) {
    if (!known || known.publicClient || known.secret !== secret) {
      keycloakError(res, 401, 'invalid_client', 'Authentication failed.');
      return true;
    }
    const active = tokenActive(claims);
    const body = active ? { ...claims, client_id: claims.azp, username: claims.preferred_username, token_type: 'Bearer', active } : { active: false };
    send(res, 200, JSON.stringify(body), 'application/json');
    return true;
  }
  // Revocation (RFC 7009 §2.1): only by the client the token was issued to; a confidential
  // client must authenticate, a public one must name itself.
  const registered = known ? undefined : await provider.Client.find(id);
  const confidential = known ? !known.publicClient : registered && registered.tokenEndpointAuthMethod !== 'none';
  const expected = known ? known.secret : registered?.clientSecret;
  if (!id || (!known && !registered) || (confidential && expected !== secret)) {
    keycloakError(res, 401, 'invalid_client', 'Authentication failed.');
    return true;
  }
  if (claims.azp !== id) {
    keycloakError(res, 400, 'unauthorized_client', 'Unmatching clients');
    return true;
  }
  revokedJtis.set(claims.jti, claims.exp);
  log(`access token ${claims.jti} revoked`);
  send(res, 200, '', 'text/plain');
  return true;
}

// Keycloak's logout by a client: POST …/logout with client_id (and secret) and the refresh
// token ends the session: the refresh token and every access token of its grant stop working.
// (A browser's logout goes to oidc-provider's end_session, which revokes the grant itself.)
async function refreshTokenLogout(req, res) {
  const form = await readForm(req);
  const value = form.get('refresh_token');
  if (!value) {
    req.body = Object.fromEntries(form);
    return false;
  }
  const { id, secret } = clientCredentials(req, form);
  const known = realm.clients.get(id);
  const token = await provider.RefreshToken.find(value);
  if (!token || token.clientId !== id || (known && !known.publicClient && known.secret !== secret)) {
    keycloakError(res, 400, 'invalid_grant', 'Invalid refresh token');
    return true;
  }
  revokedGrants.add(token.grantId);
  await provider.RefreshToken.revokeByGrantId(token.grantId);
  log(`session of grant ${token.grantId} logged out by ${id}`);
  send(res, 204, '', 'text/plain');
  return true;
}

// ---------------------------------------------------------------------------------------------
let jwksFetches = 0;
let jwksMode = 'normal';

async function handle(req, res) {
  const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`);
  const path = url.pathname;
  const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress);

  if (path.startsWith('/admin/')) {
    if (!loopback) return keycloakError(res, 403, 'forbidden', 'admin calls are loopback-only');
    // DNS rebinding: a page on evil.example, re-pointed at 127.0.0.1, is "same-origin" to itself
    // and sends no Origin on a GET — but its Host header still says evil.example.
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!isLoopbackHost(hostName)) {
      return keycloakError(res, 403, 'forbidden', 'admin calls need a loopback Host header');
    }
    // A web page in the learner's browser can reach loopback too: refuse anything a browser
    // marks as coming from another site (scripts and curl send neither header).
    const site = req.headers['sec-fetch-site'];
    if (req.headers.origin !== undefined || (site !== undefined && site !== 'none' && site !== 'same-origin')) {
      return keycloakError(res, 403, 'forbidden', 'admin calls are refused from web pages');
    }
    if (path === '/admin/stats') {
      return send(res, 200, JSON.stringify({ jwks_fetches: jwksFetches, introspections, kids: signingKeys.map((k) => k.kid), jwks_mode: jwksMode }), 'application/json');
    }
    if (path === '/admin/rotate-keys' && req.method === 'POST') {
      signingKeys = [newSigningKey(), signingKeys[0]];
      provider = makeProvider();
      providerHandler = provider.callback();
      log(`keys rotated: signing with ${signingKeys[0].kid}, still publishing ${signingKeys[1].kid}`);
      return send(res, 200, JSON.stringify({ kid: signingKeys[0].kid, kids: signingKeys.map((k) => k.kid) }), 'application/json');
    }
    if (path === '/admin/jwks-mode' && req.method === 'POST') {
      const mode = url.searchParams.get('mode');
      if (!['normal', 'hang', 'garbage', 'error'].includes(mode)) return keycloakError(res, 400, 'invalid_request', 'mode: normal | hang | garbage | error');
      jwksMode = mode;
      log(`certs endpoint mode: ${mode}`);
      return send(res, 200, JSON.stringify({ jwks_mode: mode }), 'application/json');
    }
    return keycloakError(res, 404, 'not_found', 'unknown admin call');
  }

  if (path === '/health' || path === '/health/ready') {
    return send(res, 200, JSON.stringify({ status: 'UP' }), 'application/json');
  }

  // RFC 8414 §3.1: the well-known prefix before the issuer path.
  if (path === `/.well-known/oauth-authorization-server${MOUNT}`) {
    req.url = `${MOUNT}/.well-known/openid-configuration`;
  }
  if (req.url.startsWith(`${MOUNT}/.well-known/oauth-authorization-server`)) {
    req.url = `${MOUNT}/.well-known/openid-configuration`;
  }

  if (!req.url.startsWith(`${MOUNT}/`) && req.url !== MOUNT) {
    return keycloakError(res, 404, 'not_found', 'no such page');
  }

  const inner = req.url.slice(MOUNT.length) || '/';
  if (inner.startsWith('/protocol/openid-connect/certs')) {
    jwksFetches += 1;
    log(`jwks fetch #${jwksFetches} (mode ${jwksMode})`);
    if (jwksMode === 'hang') return; // never answers: clients must time out
    if (jwksMode === 'garbage') return send(res, 200, '{"keys": "not a key set"', 'application/json');
    if (jwksMode === 'error') return keycloakError(res, 500, 'server_error', 'certs unavailable');
  }
  if (inner.startsWith('/interaction/')) {
    try {
      return await interaction(req, res, inner.slice('/interaction/'.length));
    } catch (err) {
      log(`interaction error: ${err.message}`);
      return send(res, 400, page('Error', `<p id="error">${escape(err.message)}</p>`));
    }
  }
  if (req.method === 'POST' && (inner.startsWith('/protocol/openid-connect/token/introspect') || inner.startsWith('/protocol/openid-connect/revoke'))) {
    if (await jwtIntrospectOrRevoke(req, res, inner)) return undefined;
  }
  if (req.method === 'POST' && inner === '/protocol/openid-connect/logout'
    && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    if (await refreshTokenLogout(req, res)) return undefined;
  }
  if (inner.startsWith('/clients-registrations/openid-connect') && req.method === 'POST') {
    const refused = await checkRegistration(req);
    if (refused) return keycloakError(res, 403, 'insufficient_scope', refused);
  }
  req.originalUrl = req.url;
  req.url = inner;
  return providerHandler(req, res);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`error: ${err.stack ?? err}`);
    if (!res.headersSent) keycloakError(res, 500, 'server_error', 'unexpected error');
  });
});
server.listen(PORT, '127.0.0.1', () => {
  log(`Keycloak stand-in listening on http://${HOST}:${PORT} — issuer ${ISSUER}`);
  log(`users: ${[...realm.users.keys()].join(', ')}; clients: ${[...realm.clients.keys()].join(', ')}; signing kid ${signingKeys[0].kid}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { server.close(); process.exit(0); });
}
