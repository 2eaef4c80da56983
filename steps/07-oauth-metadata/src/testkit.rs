//! For the tests of steps 7–12 (feature `testkit`): step 7's setup as
//! `cargo run -p step7` makes it — default flags — with the workspace's demo
//! public key (`keys/`), whose private half tokengen signs with.

use clap::Parser;
use step6::config::AuthArgs;

use crate::Setup;

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    key: step5::KeyArgs,
}

/// The setup and the flags it came from.
pub fn demo_setup() -> (Setup, AuthArgs) {
    let public = concat!(env!("CARGO_MANIFEST_DIR"), "/../../keys/mcp_public_key.pem");
    let flags = Flags::parse_from(["test", "--public-key", public]);
    let setup = Setup::from_args(&flags.auth, &flags.key).expect("the demo key in keys/ loads");
    (setup, flags.auth)
}
