// node --test keycloak/standin/   — the realm rules the stand-in applies, on the real realm file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

import { loadRealm } from './realm.js';

const realm = loadRealm(resolve(dirname(fileURLToPath(import.meta.url)), '../mcp-realm.json'));
const all = ['mcp:read', 'mcp:tools', 'mcp:prompts'];
const mcp = (user, client = 'mcp-test-client') => realm
  .effectiveScopes(client, realm.users.get(user), all).filter((s) => s.startsWith('mcp:'));

test('each user gets exactly the mcp scopes its roles permit', () => {
  assert.deepEqual(mcp('mcp-admin'), ['mcp:read', 'mcp:tools', 'mcp:prompts']);
  assert.deepEqual(mcp('mcp-user'), ['mcp:read', 'mcp:tools']);
  assert.deepEqual(mcp('mcp-readonly'), ['mcp:read']);
});

test('a registered client gets the realm defaults, and the same gates', () => {
  assert.deepEqual(mcp('mcp-user', 'some-registered-client'), ['mcp:read', 'mcp:tools']);
  assert.equal(realm.client('some-registered-client').consentRequired, true);
  assert.equal(realm.client('mcp-test-client').consentRequired, false);
});

test('scopes not asked for, or unknown, are not granted', () => {
  const got = realm.effectiveScopes('mcp-test-client', realm.users.get('mcp-admin'), ['mcp:tools', 'admin:all']);
  assert.ok(got.includes('mcp:tools'));
  assert.ok(!got.includes('mcp:read'));
  assert.ok(!got.includes('admin:all'));
});

test('the audience comes from the audience mapper', () => {
  // On the mcp:* scopes, not on a default scope: a token without an mcp:* scope carries no
  // audience of this server.
  assert.deepEqual(realm.audiences(['mcp:read']), ['echo-mcp-server']);
  assert.deepEqual(realm.audiences(realm.client('mcp-test-client').defaultScopes), []);
});

test('the token scope lists openid and the scopes shown in tokens', () => {
  assert.equal(realm.tokenScope(['basic', 'profile', 'roles', 'mcp:read'], true), 'openid profile mcp:read');
});

test('redirect URIs: Keycloak wildcards, loopback any port, nothing else', () => {
  const patterns = realm.clients.get('mcp-test-client').redirectPatterns;
  assert.ok(realm.redirectAllowed(patterns, 'http://127.0.0.1:53124/callback'));
  assert.ok(realm.redirectAllowed(patterns, 'http://localhost:6274/oauth/callback'));
  assert.ok(!realm.redirectAllowed(patterns, 'http://127.0.0.1.evil.example/cb'));
  assert.ok(!realm.redirectAllowed(patterns, 'https://evil.example/cb'));
  assert.ok(!realm.redirectAllowed(patterns, 'http://127.0.0.1:80@evil.example/cb'));
  assert.ok(realm.redirectAllowed(['http://127.0.0.1/cb'], 'http://127.0.0.1:4000/cb'));
  assert.ok(!realm.redirectAllowed(['http://127.0.0.1/cb'], 'http://127.0.0.1:4000/other'));
});

test('PKCE S256 is required of every client, by the realm\'s client policy', () => {
  assert.equal(realm.pkceForEveryClient, true);
  assert.equal(realm.pkceRequired('echo-mcp-server'), true);
  assert.equal(realm.pkceRequired('some-registered-client'), true);
});

test('redirects: exact, any loopback port, never a fragment or userinfo', () => {
  const registered = ['http://127.0.0.1:33418/callback'];
  assert.equal(realm.redirectAllowed(registered, 'http://127.0.0.1:51000/callback'), true);
  assert.equal(realm.redirectAllowed(registered, 'http://127.0.0.1:51000/callback/x'), false);
  assert.equal(realm.redirectAllowed(registered, 'http://127.0.0.1:51000/callback#frag'), false);
  assert.equal(realm.redirectAllowed(['https://app.example/cb'], 'https://app.example:8443/cb'), false);
  assert.equal(realm.redirectAllowed(['http://127.0.0.1:*'], 'http://127.0.0.1:80@evil.example/'), false);
  // A backslash: a browser reads a path, other parsers userinfo ("127.0.0.1:1\\" @ evil.example).
  assert.equal(realm.redirectAllowed(['http://127.0.0.1:*'], 'http://127.0.0.1:1\\@evil.example/'), false);
  assert.equal(realm.redirectAllowed(['http://127.0.0.1:*'], 'http://127.0.0.1:1/cb\tx'), false);
  assert.equal(realm.redirectAllowed(['http://127.0.0.1:*'], 'http://127.0.0.1:1/callback'), true);
});

test('CORS: only the client\'s web origins', () => {
  assert.equal(realm.originAllowed('mcp-test-client', [], 'http://127.0.0.1:6274'), true);
  assert.equal(realm.originAllowed('mcp-test-client', [], 'http://evil.example'), false);
  assert.equal(realm.originAllowed('dcr-1', ['http://localhost:6274/oauth/callback'], 'http://localhost:6274'), true);
  assert.equal(realm.originAllowed('dcr-1', ['http://localhost:6274/oauth/callback'], 'http://localhost:9999'), false);
});

test('an agent gets the mcp scopes of its service-account roles, not more', () => {
  const agent = realm.serviceAccount('mcp-agent');
  assert.equal(agent.username, 'service-account-mcp-agent');
  assert.deepEqual(realm.effectiveScopes('mcp-agent', agent, []).filter((s) => s.startsWith('mcp:')), ['mcp:read', 'mcp:tools']);
  assert.equal(realm.serviceAccount('mcp-test-client'), undefined);
});

test('a service-account user cannot sign in with a password, not even an absent one', () => {
  const agent = realm.serviceAccount('mcp-agent');
  assert.equal(realm.passwordMatches(agent, undefined), false);
  assert.equal(realm.passwordMatches(agent, ''), false);
  assert.equal(realm.passwordMatches(realm.users.get('mcp-user'), 'user123'), true);
  assert.equal(realm.passwordMatches(realm.users.get('mcp-user'), 'User123'), false);
  assert.equal(realm.passwordMatches(undefined, undefined), false);
});

test('the DPoP client and the private_key_jwt agent are read from the realm', () => {
  assert.equal(realm.clients.get('mcp-dpop-client').dpopBound, true);
  assert.equal(realm.clients.get('mcp-test-client').dpopBound, false);
  const jwt = realm.clients.get('mcp-agent-jwt');
  assert.equal(jwt.authenticator, 'client-jwt');
  assert.equal(jwt.jwks.keys[0].kty, 'EC');
  assert.equal(jwt.jwks.keys[0].d, undefined, 'the realm holds the public key only');
});
