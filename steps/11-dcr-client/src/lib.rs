//! # Step 11 — the client: from nothing to a tool call
//!
//! Steps 1–10 built the server. This step is the other side: an MCP client
//! that knows only the server's URL and finds everything else out, the way
//! the MCP authorization spec (2025-11-25) describes:
//!
//! ```text
//! 1. POST /mcp initialize (no token)                 → 401, WWW-Authenticate: resource_metadata, scope   challenge
//! 2. GET  protected-resource metadata                 → resource, authorization_servers               discovery
//! 3. GET  authorization-server metadata (3 URLs, in order) → endpoints; issuer must match          discovery
//! 4. refuse unless code_challenge_methods_supported has S256                                       discovery
//! 5. client id: --client-id, or stored for this issuer, or POST registration_endpoint (RFC 7591)   credentials, registration
//! 6. browser → authorization_endpoint?…&state&code_challenge&resource → login → redirect to
//!    http://127.0.0.1:PORT/callback?code&state&iss on our own listener                             authorize
//! 7. POST token_endpoint: code + code_verifier + resource (+ client auth)                           token
//! 8. server/discover (2026-07-28) or initialize (2025-11-25), tools/list, tools/call echo          mcp, era
//!    403 insufficient_scope → one step-up with the union of scopes; 401 → one refresh              flow
//! ```
//!
//! It does not depend on the server crates: it is the other side of the
//! wire and speaks to step 10 only over HTTP, as any MCP client would.
//!
//! Run it against step 10 (`scripts/idp.sh start`, `cargo run -p step10`):
//! `cargo run -p step11 -- http://localhost:9000/mcp`, and sign in as
//! mcp-user / user123 in the browser that opens.

// The lesson (the blog's step 11).
pub mod authorize;
pub mod challenge;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod mcp;
pub mod pkce;
pub mod registration;
pub mod token;
// Beyond the blog: the 2026-07-28 wire, Client ID Metadata Documents, capped reads, secrets and terminal hygiene, DPoP.
pub mod capped;
pub mod cimd;
pub mod client_assertion;
pub mod dpop;
pub mod era;
pub mod es256;
pub mod machine;
pub mod narrate;
pub mod proofs;
pub mod secret;
