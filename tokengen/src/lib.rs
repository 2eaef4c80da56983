//! # tokengen — the demo issuer's offline token endpoint
//!
//! Steps 5–8 verify JWT access tokens, and something has to sign them. In
//! production that is an authorization server (Keycloak, from step 9). Here
//! it is this crate: it holds the demo **private** key and mints RFC 9068
//! style access tokens for the demo issuer `http://localhost:9000` and the
//! audience `http://localhost:9000/mcp`.
//!
//! ```text
//! $ TOKEN=$(cargo run -q -p tokengen -- --demo alice)
//! $ curl -s localhost:9000/mcp -H "Authorization: Bearer $TOKEN" …
//! ```
//!
//! The token alone goes to stdout; what is in it goes to stderr, so the
//! command substitution above captures just the token.
//!
//! It also **forges** every kind of bad token the tests throw at the
//! servers ([`forge::Forgery`]): expired, wrong audience, signed by another
//! key, `alg: none`, the HS256-with-the-public-key confusion attack, …
//!
//! Modules: [`keypair`] (read or generate the demo key pair), [`claims`]
//! (what goes in a token, and the demo users), [`forge`] (the bad ones).

pub mod claims;
pub mod forge;
pub mod keypair;
