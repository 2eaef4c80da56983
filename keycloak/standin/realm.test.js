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
  assert.deepEqual(realm.audiences(realm.client('mcp-test-client').defaultScopes), ['echo-mcp-server']);
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
